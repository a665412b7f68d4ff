package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * An ordered list of steps. A task sequence need not apply an operating system: capturing a
 * computer's user state before it is replaced, or installing a package on running clients, are task
 * sequences of their own.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.steps.all(s, self.steps.exists_one(t, t.name == s.name))",
    message = "step names must be unique",
    fieldPath = ".steps")
public class TaskSequence {
  @Required
  @Size(min = 1, max = 64)
  @JsonPropertyDescription("Steps, run in order.")
  private List<Step> steps;

  public List<Step> getSteps() {
    return steps;
  }

  public void setSteps(List<Step> steps) {
    this.steps = steps;
  }
}
