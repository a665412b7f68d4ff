package io.osdeploy.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
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
// The CRD lists these columns in reverse order of declaration.
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Multicast", jsonPath = ".spec.multicast.enabled", priority = 1)
@AdditionalPrinterColumn(name = "State", jsonPath = OsdeployApi.READY_REASON_PATH)
@AdditionalPrinterColumn(name = "Ready", jsonPath = OsdeployApi.READY_STATUS_PATH)
public class DistributionPoint
    extends CustomResource<DistributionPointSpec, DistributionPointStatus> implements Namespaced {
  @Override
  @Default(OsdeployStatus.NOT_OBSERVED)
  public DistributionPointStatus getStatus() {
    return super.getStatus();
  }
}
