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

/** A content server at a site: the nodes that run the multicast daemon and what they serve. */
@Group(OsdeployApi.GROUP)
@Version(OsdeployApi.VERSION)
@Kind("DistributionPoint")
@Singular("distributionpoint")
@Plural("distributionpoints")
@ShortNames({"dp"})
@Categories(OsdeployApi.CATEGORY)
// The build orders the columns: Ready, State, the rest, Age (PrinterColumnOrder).
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Multicast", jsonPath = ".spec.multicast.enabled", priority = 1)
@AdditionalPrinterColumn(name = "State", jsonPath = OsdeployApi.READY_REASON_PATH)
@AdditionalPrinterColumn(name = "Ready", jsonPath = OsdeployApi.READY_STATUS_PATH)
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self: A content server at a site: the nodes that run the multicast daemon and"
            + " what they serve.")
public class DistributionPoint
    extends CustomResource<DistributionPointSpec, DistributionPointStatus> implements Namespaced {
  @Override
  @JsonPropertyDescription(
      "Which nodes serve, which OS images they hold, and how they deliver them:"
          + " multicast, unicast, PXE, HTTPS and the boot environment.")
  public DistributionPointSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "What the operator and the daemons report: conditions, each node's report (written"
          + " by the daemon on that node) and the DaemonSet's node counts.")
  @Default(OsdeployStatus.NOT_OBSERVED)
  public DistributionPointStatus getStatus() {
    return super.getStatus();
  }
}
