package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Default;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A task sequence deployed to a collection of machines, offered in one way. */
@Group(OsdeployApi.GROUP)
@Version(OsdeployApi.VERSION)
@Kind("TaskSequenceDeployment")
@Singular("tasksequencedeployment")
@Plural("tasksequencedeployments")
@ShortNames({"tsd"})
@Categories(OsdeployApi.CATEGORY)
// The build orders the columns: Ready, State, the counts, the rest, Age (PrinterColumnOrder).
@AdditionalPrinterColumn(name = "Ready", jsonPath = OsdeployApi.READY_STATUS_PATH)
@AdditionalPrinterColumn(name = "State", jsonPath = OsdeployApi.READY_REASON_PATH)
@AdditionalPrinterColumn(
    name = "Targeted",
    jsonPath = ".status.machines.targeted",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Succeeded",
    jsonPath = ".status.machines.succeeded",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Failed",
    jsonPath = ".status.machines.failed",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Purpose", jsonPath = ".spec.purpose", priority = 1)
@AdditionalPrinterColumn(name = "Availability", jsonPath = ".spec.availability", priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@SchemaCustomizer(
    value = Describe.class,
    input = "self: A task sequence deployed to a collection of machines, offered in one way.")
public class TaskSequenceDeployment
    extends CustomResource<TaskSequenceDeploymentSpec, TaskSequenceDeploymentStatus>
    implements Namespaced {
  @Override
  @JsonPropertyDescription(
      "The task sequence, the machines it is for, how it is offered (availability,"
          + " purpose, deadline, delivery) and the distribution points that serve it.")
  public TaskSequenceDeploymentSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "What the operator and the daemons report: conditions, and the machines' progress"
          + " (counts, latest failures, each node's reports).")
  @Default(OsdeployStatus.NOT_OBSERVED)
  public TaskSequenceDeploymentStatus getStatus() {
    return super.getStatus();
  }
}
