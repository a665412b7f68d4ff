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

/** An operating-system image: content that distribution points pull, verify and serve. */
@Group(OsdeployApi.GROUP)
@Version(OsdeployApi.VERSION)
@Kind("OSImage")
@Singular("osimage")
@Plural("osimages")
@ShortNames({"osi", "osimg"})
@Categories(OsdeployApi.CATEGORY)
// The build orders the columns: Ready, State, the rest, Age (PrinterColumnOrder).
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Version", jsonPath = ".spec.osVersion", priority = 1)
@AdditionalPrinterColumn(name = "State", jsonPath = OsdeployApi.READY_REASON_PATH)
@AdditionalPrinterColumn(name = "Ready", jsonPath = OsdeployApi.READY_STATUS_PATH)
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self: An operating-system image, or a driver or software package (format"
            + " Package): content that distribution points pull, verify and serve.")
public class OSImage extends CustomResource<OSImageSpec, OSImageStatus> implements Namespaced {
  @Override
  @JsonPropertyDescription(
      "The image: where it comes from, its SHA-256 and size, what it holds and how it may"
          + " travel.")
  public OSImageSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "What the operator reports: conditions, and the DistributionPoints that are to hold"
          + " the image and those that hold it verified.")
  @Default(OsdeployStatus.NOT_OBSERVED)
  public OSImageStatus getStatus() {
    return super.getStatus();
  }
}
