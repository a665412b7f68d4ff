package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;

/** OS images chosen by name, by label selector, or both (the union). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "(has(self.names) && size(self.names) > 0) || has(self.selector)",
    message = "osImages needs names or a selector")
public class ImageSelection {
  @Size(max = 1000)
  @JsonPropertyDescription("Names of OSImages in the same namespace.")
  private List<@Pattern(Patterns.OBJECT_NAME) String> names;

  @JsonPropertyDescription("OSImages whose labels match.")
  private LabelSelector selector;

  public List<String> getNames() {
    return names;
  }

  public void setNames(List<String> names) {
    this.names = names;
  }

  public LabelSelector getSelector() {
    return selector;
  }

  public void setSelector(LabelSelector selector) {
    this.selector = selector;
  }
}
