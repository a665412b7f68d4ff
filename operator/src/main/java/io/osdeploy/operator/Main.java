package io.osdeploy.operator;

import io.osdeploy.operator.local.RunCommand;
import io.osdeploy.operator.validation.ValidateCommand;
import java.util.Arrays;

/** Entry point of the operator's jar: {@code run} and {@code validate}. */
public final class Main {
  private static final String USAGE =
      String.join(
          "\n",
          "usage: osdeploy-operator <command> [options]",
          "",
          "commands:",
          "  run [--samples DIR] [--until-ready SECONDS | --until-observed SECONDS] [--vms N]",
          "      Run the operator. With KUBECONFIG set, against that cluster (the CRDs are",
          "      installed first); without, against a local kube-apiserver and etcd with the",
          "      samples applied. Shows the resources' status live. --vms N (local run, through",
          "      ./scripts/run.sh --vms N): N QEMU machines boot the built media and deploy a",
          "      small system from the local distribution point.",
          "  validate PATH...",
          "      Check YAML files and folders offline against the CRD schemas and rules.",
          "      Prints file:line: Kind/name: field: message per error; exit status 1 on any.",
          "",
          "  --help, -h      this text (also after a command: run --help, validate --help)",
          "  --version       the operator's version",
          "Exit status: 0 done, 1 failed (validate: an error found), 2 bad usage.");

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      System.out.println(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    if (args[0].equals("--version")) {
      System.out.println("osdeploy-operator " + version());
      System.exit(0);
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    if (args[0].equals("run") && !RunCommand.inCluster() && !RunCommand.helpAsked(rest)) {
      RunCommand.logToFile();
    }
    int status =
        switch (args[0]) {
          case "run" -> RunCommand.main(rest);
          case "validate" -> ValidateCommand.main(rest);
          default -> {
            System.err.println("unknown command: " + args[0] + "\n\n" + USAGE);
            yield 2;
          }
        };
    System.exit(status);
  }

  /** The jar's version, or "development" when run from classes. */
  public static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v != null ? v : "development";
  }
}
