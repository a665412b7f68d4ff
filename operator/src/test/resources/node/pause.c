/*
 * The process that holds a pod's namespaces (the container runtime's "sandbox image"): it waits
 * for a signal, reaps any child handed to it, and exits on SIGINT or SIGTERM. Compiled statically
 * by KubeletCluster, since no registry serves a pause image here.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { _exit(0); }

static void reap(int sig) {
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) {
    pause();
  }
}
