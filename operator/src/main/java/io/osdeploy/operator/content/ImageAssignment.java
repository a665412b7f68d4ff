package io.osdeploy.operator.content;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.ImageSelection;
import io.osdeploy.api.v1alpha1.OSImage;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Which OS images a distribution point holds: those it names, and those its selector matches. */
public final class ImageAssignment {
  private ImageAssignment() {}

  /** The assigned images among {@code images} (same namespace), sorted by name. */
  public static List<OSImage> assigned(DistributionPoint dp, Collection<OSImage> images) {
    return images.stream()
        .filter(
            i -> Objects.equals(i.getMetadata().getNamespace(), dp.getMetadata().getNamespace()))
        .filter(i -> holds(dp, i))
        .sorted(Comparator.comparing(i -> i.getMetadata().getName()))
        .toList();
  }

  public static boolean holds(DistributionPoint dp, OSImage image) {
    if (!Objects.equals(image.getMetadata().getNamespace(), dp.getMetadata().getNamespace())) {
      return false;
    }
    ImageSelection selection = dp.getSpec() == null ? null : dp.getSpec().getOsImages();
    if (selection == null) {
      return false;
    }
    if (selection.getNames() != null
        && selection.getNames().contains(image.getMetadata().getName())) {
      return true;
    }
    return selection.getSelector() != null
        && matches(selection.getSelector(), image.getMetadata().getLabels());
  }

  /** Kubernetes label selector semantics: every matchLabels entry and every expression holds. */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String value = l.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        boolean ok =
            switch (r.getOperator()) {
              case "In" -> value != null && values.contains(value);
              case "NotIn" -> value == null || !values.contains(value);
              case "Exists" -> value != null;
              case "DoesNotExist" -> value == null;
              default -> false;
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }
}
