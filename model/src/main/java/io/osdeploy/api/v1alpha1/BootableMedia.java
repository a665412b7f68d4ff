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

/** Content-free boot media (a hybrid ISO for CD/DVD and USB) that points at the boot servers. */
@Group(OsdeployApi.GROUP)
@Version(OsdeployApi.VERSION)
@Kind("BootableMedia")
@Singular("bootablemedia")
@Plural("bootablemedias")
@ShortNames({"bm", "media"})
@Categories(OsdeployApi.CATEGORY)
// The build orders the columns: Ready, State, the rest, Age (PrinterColumnOrder).
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "SHA256", jsonPath = ".status.artifact.sha256", priority = 1)
@AdditionalPrinterColumn(name = "Type", jsonPath = ".spec.type", priority = 1)
@AdditionalPrinterColumn(name = "State", jsonPath = OsdeployApi.READY_REASON_PATH)
@AdditionalPrinterColumn(name = "Ready", jsonPath = OsdeployApi.READY_STATUS_PATH)
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self: Content-free boot media (a hybrid ISO for CD/DVD and USB) that points at"
            + " the boot servers.")
public class BootableMedia extends CustomResource<BootableMediaSpec, BootableMediaStatus>
    implements Namespaced {
  @Override
  @JsonPropertyDescription(
      "The media to build: its type, the deployment it pins, the boot servers it asks,"
          + " its password and the CA it trusts.")
  public BootableMediaSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "What the operator reports: conditions, and the ISO image it built (artifact).")
  @Default(OsdeployStatus.NOT_OBSERVED)
  public BootableMediaStatus getStatus() {
    return super.getStatus();
  }
}
