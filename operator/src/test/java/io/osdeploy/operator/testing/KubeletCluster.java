package io.osdeploy.operator.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.osdeploy.testing.NetnsLan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Kubernetes cluster with one real node, for tests that install osdeploy as a user does.
 *
 * <ul>
 *   <li>The control plane runs in the test's network namespace: an etcd and a kube-apiserver of its
 *       own (the shared one's command line, with ServiceAccount admission on and a serving
 *       certificate for {@link #HOST} and the {@code kubernetes} Service), kube-controller-manager
 *       with every controller, and kube-scheduler.
 *   <li>The node is a network namespace on a test LAN ({@link NetnsLan}) at {@link #nodeAddress}:
 *       Debian's containerd with its CRI plugin, runc and CNI plugins (a bridge and host-local
 *       addresses for pods), the kubelet and kube-proxy (iptables mode), built from
 *       k8s.io/kubernetes at the API server's version by {@code scripts/k8s-test-binaries.sh}. A
 *       pod with the host's network is in this namespace.
 *   <li>No registry is reachable: images are imported into the node's containerd ({@link #ctr}),
 *       the pod sandbox's pause program included, compiled here.
 * </ul>
 *
 * Other namespaces can join the LAN ({@link #addMachine}). Closing stops every process, removes the
 * pods' containers, mounts and network namespaces, and restores the kernel settings the kubelet
 * changes ({@code vm.overcommit_memory}, {@code kernel.panic}, {@code kernel.panic_on_oops}). The
 * logs stay in the directory the cluster was started in.
 */
public final class KubeletCluster implements AutoCloseable {
  public static final String NODE = "osdeploy-node";
  public static final String SUBNET = "10.215.0.";

  /** The test's end of the LAN, where the API server and the test's servers listen. */
  public static final String HOST = SUBNET + "254";

  static final String POD_SUBNET = "10.244.0.0/24";
  static final String PAUSE_IMAGE = "localhost/osdeploy-test/pause:1";
  private static final Path CNI_PLUGINS = Path.of("/usr/lib/cni");
  private static final List<String> KERNEL_SETTINGS =
      List.of("vm.overcommit_memory", "kernel.panic", "kernel.panic_on_oops");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final Path dir;
  private final Map<String, String> kernel = new LinkedHashMap<>();
  private final List<Process> processes = new ArrayList<>();
  private final Set<String> netnsBefore;
  private NetnsLan lan;
  private NetnsLan.Node node;
  private Path binaries;
  private Path kubeconfig;
  private String kubeConfigYaml;
  private Path containerdSocket;

  private KubeletCluster(Path dir) {
    this.dir = dir;
    this.netnsBefore = netns();
  }

  /** Skips (or fails under CI=true) where a node cannot run. */
  public static void requirePrerequisites() {
    Prerequisites.require(
        "root".equals(System.getProperty("user.name")), "root (a kubelet and its network)");
    for (Path tool :
        List.of(
            ContainerEngines.CONTAINERD,
            ContainerEngines.CTR,
            Path.of("/usr/sbin/runc"),
            Path.of("/usr/sbin/iptables"),
            Path.of("/usr/sbin/conntrack"),
            Path.of("/usr/bin/nsenter"),
            Path.of("/usr/bin/gcc"),
            CNI_PLUGINS.resolve("bridge"),
            CNI_PLUGINS.resolve("host-local"))) {
      Prerequisites.require(Files.isExecutable(tool), tool + " (scripts/prereqs.sh installs it)");
    }
  }

  /** Starts the control plane and the node, with state and logs under {@code dir}. */
  public static KubeletCluster start(Path dir) throws Exception {
    requirePrerequisites();
    Files.createDirectories(dir);
    KubeletCluster cluster = new KubeletCluster(dir);
    try {
      cluster.startAll();
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private void startAll() throws Exception {
    for (String setting : KERNEL_SETTINGS) {
      kernel.put(setting, NetnsLan.run("sysctl", "-n", setting).strip());
    }
    lan = new NetnsLan("osdk", SUBNET);
    lan.connectHost(HOST);
    node = lan.add("node", null);
    NetnsLan.run("ip", "-n", node.namespace(), "route", "add", "default", "via", HOST);
    NetnsLan.runIn(node.namespace(), "sysctl", "-w", "net.ipv4.ip_forward=1");

    List<String> shared = RestartableControlPlane.sharedApiServerCommand();
    binaries = RestartableControlPlane.binaries(shared);
    for (String binary : List.of("kubelet", "kube-proxy", "kube-scheduler", "kubectl")) {
      Prerequisites.require(
          Files.isExecutable(binaries.resolve(binary)),
          binaries.resolve(binary) + " (scripts/k8s-test-binaries.sh builds it)");
    }
    startControlPlane(shared);
    startNode();
  }

  private void startControlPlane(List<String> shared) throws Exception {
    RestartableControlPlane.Etcd etcd = RestartableControlPlane.startEtcd(binaries, dir);
    processes.add(etcd.process());
    int port = RestartableControlPlane.freePort();
    Path pki = Files.createDirectories(dir.resolve("pki"));
    List<String> command = RestartableControlPlane.withFlag(shared, "--etcd-servers", etcd.url());
    command = RestartableControlPlane.withFlag(command, "--secure-port", Integer.toString(port));
    // An empty certificate directory: the API server makes a serving certificate that names its
    // advertised address and the kubernetes Service, which is what pods connect to.
    command = RestartableControlPlane.withFlag(command, "--cert-dir", pki.toString());
    command = RestartableControlPlane.withoutFlagsStartingWith(command, "--audit-");
    // Pods get their service account's token, as in any cluster.
    command =
        RestartableControlPlane.withoutFlagsStartingWith(command, "--disable-admission-plugins");
    command = new ArrayList<>(command);
    command.add("--advertise-address=" + HOST);
    command.add("--bind-address=0.0.0.0");
    // The node's name resolves nowhere; logs and exec go to its address.
    command.add("--kubelet-preferred-address-types=InternalIP");
    processes.add(start("kube-apiserver", command));
    Path servingCertificate = pki.resolve("apiserver.crt");
    await("the API server's serving certificate; see " + dir.resolve("kube-apiserver.log"))
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Files.isRegularFile(servingCertificate) && Files.size(servingCertificate) > 0);
    ObjectNode config = (ObjectNode) YAML.readTree(TestCluster.kubeConfigYaml());
    ObjectNode cluster = (ObjectNode) config.get("clusters").get(0).get("cluster");
    cluster.put("server", "https://" + HOST + ":" + port);
    cluster.remove("certificate-authority");
    cluster.put(
        "certificate-authority-data",
        Base64.getEncoder().encodeToString(Files.readAllBytes(servingCertificate)));
    kubeConfigYaml = YAML.writeValueAsString(config);
    kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
    try (KubernetesClient client = client()) {
      await("the API server; see " + dir.resolve("kube-apiserver.log"))
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(() -> "ok".equals(client.raw("/readyz")));
    }
    String signingKey =
        RestartableControlPlane.flagValue(shared, "--service-account-signing-key-file");
    processes.add(
        start(
            "kube-controller-manager",
            List.of(
                binaries.resolve("kube-controller-manager").toString(),
                "--kubeconfig=" + kubeconfig,
                "--controllers=*",
                "--leader-elect=false",
                "--secure-port=0",
                "--use-service-account-credentials=false",
                "--root-ca-file=" + servingCertificate,
                "--service-account-private-key-file=" + signingKey)));
    processes.add(
        start(
            "kube-scheduler",
            List.of(
                binaries.resolve("kube-scheduler").toString(),
                "--kubeconfig=" + kubeconfig,
                "--leader-elect=false",
                "--secure-port=0")));
  }

  private void startNode() throws Exception {
    Path containerdDir = Files.createDirectories(dir.resolve("containerd"));
    Path socket = containerdDir.resolve("containerd.sock");
    Path cni = Files.createDirectories(dir.resolve("cni"));
    Files.writeString(
        cni.resolve("10-pods.conflist"),
        """
        {"cniVersion": "1.0.0", "name": "pods", "plugins": [
          {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
           "hairpinMode": true,
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "%s"}]],
                    "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "%s"}},
          {"type": "portmap", "capabilities": {"portMappings": true}}]}
        """
            .formatted(POD_SUBNET, dir.resolve("cni-addresses")));
    Path containerdConfig = containerdDir.resolve("config.toml");
    Files.writeString(
        containerdConfig,
        """
        version = 2
        root = "%s"
        state = "%s"
        [grpc]
          address = "%s"
        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "%s"
          # Without CAP_SYS_RESOURCE (as here) a container's OOM score cannot go below ours.
          restrict_oom_score_adj = true
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
            runtime_type = "io.containerd.runc.v2"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
              Root = "%s"
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "%s"
            conf_dir = "%s"
        """
            .formatted(
                containerdDir.resolve("root"),
                containerdDir.resolve("state"),
                socket,
                PAUSE_IMAGE,
                containerdDir.resolve("runc"),
                CNI_PLUGINS,
                cni));
    processes.add(
        start(
            "containerd",
            onNode(
                List.of(ContainerEngines.CONTAINERD.toString(), "--config=" + containerdConfig))));
    this.containerdSocket = socket;
    await("containerd; see " + dir.resolve("containerd.log"))
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> ctr("version").status() == 0);
    ctr("images", "import", pauseImage().toString()).orThrow(List.of("ctr images import pause"));

    Path kubeletConfig = dir.resolve("kubelet.yaml");
    Files.writeString(
        kubeletConfig,
        """
        apiVersion: kubelet.config.k8s.io/v1beta1
        kind: KubeletConfiguration
        address: %s
        readOnlyPort: 0
        healthzBindAddress: 127.0.0.1
        authentication:
          anonymous: {enabled: true}
          webhook: {enabled: false}
        authorization: {mode: AlwaysAllow}
        cgroupDriver: cgroupfs
        containerRuntimeEndpoint: unix://%s
        failSwapOn: false
        failCgroupV1: false
        # No registry can give a removed image back.
        imageGCHighThresholdPercent: 100
        imageGCLowThresholdPercent: 99
        evictionHard: {memory.available: 100Mi, nodefs.available: 1%%, imagefs.available: 1%%}
        serializeImagePulls: false
        podLogsDir: %s
        """
            .formatted(node.address(), socket, dir.resolve("pod-logs")));
    processes.add(
        start(
            "kubelet",
            onNode(
                List.of(
                    binaries.resolve("kubelet").toString(),
                    "--config=" + kubeletConfig,
                    "--kubeconfig=" + kubeconfig,
                    "--hostname-override=" + NODE,
                    "--node-ip=" + node.address(),
                    "--root-dir=" + dir.resolve("kubelet"),
                    "--cert-dir=" + dir.resolve("kubelet-pki")))));
    Path proxyConfig = dir.resolve("kube-proxy.yaml");
    Files.writeString(
        proxyConfig,
        """
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        mode: iptables
        clientConnection: {kubeconfig: %s}
        hostnameOverride: %s
        clusterCIDR: %s
        bindAddress: %s
        healthzBindAddress: 127.0.0.1:10256
        metricsBindAddress: 127.0.0.1:10249
        # Leave the kernel's connection tracking settings as they are.
        conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
        """
            .formatted(kubeconfig, NODE, POD_SUBNET, node.address()));
    processes.add(
        start(
            "kube-proxy",
            onNode(List.of(binaries.resolve("kube-proxy").toString(), "--config=" + proxyConfig))));
    try (KubernetesClient client = client()) {
      await("node " + NODE + " Ready; see " + dir.resolve("kubelet.log"))
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> ready(client.nodes().withName(NODE).get()));
    }
  }

  private static boolean ready(Node n) {
    return n != null
        && n.getStatus() != null
        && n.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** The pause program compiled from the test's resources, as an image archive ctr imports. */
  private Path pauseImage() throws Exception {
    Path work = Files.createDirectories(dir.resolve("pause-image"));
    Path source = work.resolve("pause.c");
    try (InputStream in = KubeletCluster.class.getResourceAsStream("/node/pause.c")) {
      Files.write(source, in.readAllBytes());
    }
    Path rootfs = Files.createDirectories(work.resolve("rootfs"));
    ContainerEngines.run(
            List.of("gcc", "-static", "-Os", "-o", rootfs.resolve("pause").toString(), "" + source),
            Duration.ofMinutes(2))
        .orThrow(List.of("gcc pause.c"));
    Path archive = Files.createDirectories(work.resolve("archive"));
    Path layer = archive.resolve("layer.tar");
    ContainerEngines.run(
            List.of(
                "tar", "--owner=0", "--group=0", "-C", rootfs.toString(), "-cf", "" + layer, "."),
            Duration.ofMinutes(1))
        .orThrow(List.of("tar layer"));
    String layerSha = sha256(layer);
    Files.writeString(
        archive.resolve("config.json"),
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/pause\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\"]}}")
            .formatted(layerSha));
    Files.writeString(
        archive.resolve("manifest.json"),
        "[{\"Config\":\"config.json\",\"RepoTags\":[\"%s\"],\"Layers\":[\"layer.tar\"]}]"
            .formatted(PAUSE_IMAGE));
    Path image = work.resolve("pause.tar");
    ContainerEngines.run(
            List.of("tar", "-C", archive.toString(), "-cf", image.toString(), "."),
            Duration.ofMinutes(1))
        .orThrow(List.of("tar image"));
    return image;
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    return HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
  }

  private Process start(String name, List<String> command) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile())
        .start();
  }

  /** {@code command}, run in the node's network namespace (and the test's mount namespace). */
  public List<String> onNode(List<String> command) {
    List<String> all =
        new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + node.namespace(), "--"));
    all.addAll(command);
    return all;
  }

  /** Runs {@code command} on the node; its status and output. */
  public ContainerEngines.Result runOnNode(String... command) throws Exception {
    return ContainerEngines.run(onNode(List.of(command)), Duration.ofMinutes(5));
  }

  /** The node's network namespace (a pod with the host's network is in it). */
  public String nodeNamespace() {
    return node.namespace();
  }

  /** The node's address on the LAN. */
  public String nodeAddress() {
    return node.address();
  }

  /** A machine on the LAN: a namespace of its own with {@code eth0} and the next address. */
  public NetnsLan.Node addMachine(String name) throws IOException, InterruptedException {
    return lan.add(name, null);
  }

  /** {@code ctr args...} against the node's containerd, in the kubelet's namespace. */
  public ContainerEngines.Result ctr(String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                ContainerEngines.CTR.toString(),
                "--address=" + containerdSocket,
                "--namespace=k8s.io"));
    command.addAll(List.of(args));
    return ContainerEngines.run(command, Duration.ofMinutes(5));
  }

  /** {@code kubectl args...} with this cluster's kubeconfig, run in {@code workingDirectory}. */
  public ContainerEngines.Result kubectl(Path workingDirectory, String... args)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(binaries.resolve("kubectl").toString(), "--kubeconfig=" + kubeconfig));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .directory(workingDirectory.toFile())
            .redirectErrorStream(true)
            .start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish");
    }
    return new ContainerEngines.Result(
        p.exitValue(), new String(output, StandardCharsets.UTF_8).strip());
  }

  public String kubeConfigYaml() {
    return kubeConfigYaml;
  }

  /** A client of its own, for a user that closes it when done. */
  public KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
  }

  public Path dir() {
    return dir;
  }

  @Override
  public void close() {
    // The node first: the kubelet (so that it restarts nothing), the pods' containers, containerd
    // and the shims it started, kube-proxy; then the control plane.
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      if (p.info().commandLine().orElse("").contains("containerd --config")) {
        removeContainers();
      }
      stop(p);
    }
    killShims();
    unmountUnder(dir);
    for (String ns : netns()) {
      if (!netnsBefore.contains(ns) && ns.startsWith("cni-")) {
        quietly("ip", "netns", "del", ns);
      }
    }
    if (lan != null) {
      lan.close();
    }
    kernel.forEach((setting, value) -> quietly("sysctl", "-w", setting + "=" + value));
    for (String removable : List.of("containerd", "kubelet", "pause-image", "etcd")) {
      try {
        TestFiles.deleteRecursively(dir.resolve(removable));
      } catch (IOException e) {
        System.err.println("cleanup: " + e.getMessage());
      }
    }
  }

  private void removeContainers() {
    try {
      String tasks = ctr("tasks", "list", "--quiet").output();
      for (String task : tasks.lines().map(String::strip).filter(t -> !t.isEmpty()).toList()) {
        ctr("tasks", "kill", "--signal", "SIGKILL", task);
      }
      Thread.sleep(1000);
      for (String task : tasks.lines().map(String::strip).filter(t -> !t.isEmpty()).toList()) {
        ctr("tasks", "delete", "--force", task);
      }
    } catch (IOException | InterruptedException e) {
      System.err.println("cleanup: " + e.getMessage());
    }
  }

  private void killShims() {
    if (containerdSocket == null) {
      return;
    }
    String address = containerdSocket.toString();
    ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains(address))
        .forEach(ProcessHandle::destroyForcibly);
  }

  private static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Unmounts everything mounted under {@code root}, deepest first. */
  private static void unmountUnder(Path root) {
    try {
      List<String> mounts =
          Files.readAllLines(Path.of("/proc/self/mounts")).stream()
              .map(line -> line.split(" ")[1].replace("\\040", " "))
              .filter(point -> point.startsWith(root.toString()))
              .sorted(Comparator.comparingInt(String::length).reversed())
              .distinct()
              .toList();
      for (String point : mounts) {
        quietly("umount", "--lazy", point);
      }
    } catch (IOException e) {
      System.err.println("cleanup: " + e.getMessage());
    }
  }

  private static Set<String> netns() {
    Path dir = Path.of("/run/netns");
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    } catch (IOException e) {
      return Set.of();
    }
  }

  private static void quietly(String... command) {
    try {
      ContainerEngines.run(List.of(command), Duration.ofSeconds(30));
    } catch (IOException | InterruptedException e) {
      System.err.println("cleanup: " + e.getMessage());
    }
  }
}
