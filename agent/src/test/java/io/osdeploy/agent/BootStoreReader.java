package io.osdeploy.agent;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * A registry hive read with hivexml (not the agent's code path): every value by its key's path and
 * name ({@code Objects\{...}\Description\Type}); an element's value also by its key's path alone
 * ({@code Objects\{...}\Elements\23000003}). Strings as they are, numbers in decimal, binary data
 * in base64, string lists joined by commas.
 */
final class BootStoreReader {
  private BootStoreReader() {}

  static Map<String, String> read(Path hive) throws Exception {
    String xml = WindowsImage.run(List.of("hivexml", hive.toString()), Duration.ofMinutes(1));
    Element root =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(new java.io.ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)))
            .getDocumentElement();
    Map<String, String> values = new HashMap<>();
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals("node")) {
        walk(e, "", values);
      }
    }
    return values;
  }

  private static void walk(Element node, String path, Map<String, String> values) {
    for (Node n = node.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!(n instanceof Element e)) {
        continue;
      }
      if (e.getTagName().equals("node")) {
        String name = e.getAttribute("name");
        walk(e, path.isEmpty() ? name : path + "\\" + name, values);
      } else if (e.getTagName().equals("value")) {
        String value;
        if (e.getAttribute("type").equals("string-list")) {
          List<String> strings = new ArrayList<>();
          for (Node s = e.getFirstChild(); s != null; s = s.getNextSibling()) {
            if (s instanceof Element str
                && str.getTagName().equals("string")
                && !str.getTextContent().isEmpty()) {
              strings.add(str.getTextContent());
            }
          }
          value = String.join(",", strings);
        } else {
          value = e.getAttribute("value");
        }
        values.put(path + "\\" + e.getAttribute("key"), value);
        if (e.getAttribute("key").equals("Element")) {
          values.put(path, value);
        }
      }
    }
  }
}
