package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
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
@SchemaCustomizer(
    value = Describe.class,
    input = "self.names[]: Name of an OSImage in the same namespace.")
@SchemaCustomizer(
    value = Describe.class,
    input = "self.selector.matchLabels: Labels an OSImage must carry, each with the value given.")
@SchemaCustomizer(
    value = Describe.class,
    input = "self.selector.matchLabels{}: Value the label must have.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.selector.matchExpressions: Requirements on an OSImage's labels; every one must"
            + " hold.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.selector.matchExpressions[]: A requirement: a label key, an operator and"
            + " values.")
@SchemaCustomizer(
    value = Describe.class,
    input = "self.selector.matchExpressions[].key: The label key the requirement is about.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.selector.matchExpressions[].operator: In (the label's value is one of values),"
            + " NotIn (the label is missing or its value is none of values), Exists (the label is"
            + " there) or DoesNotExist (it is not).")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.selector.matchExpressions[].values: The values In and NotIn compare with;"
            + " Exists and DoesNotExist ignore them.")
@SchemaCustomizer(
    value = Describe.class,
    input = "self.selector.matchExpressions[].values[]: A label value.")
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
