// Command kstatus prints the kstatus verdict on one Kubernetes object: the object's JSON on
// standard input, "<status>\t<message>" on standard output. The verdict comes from the library
// Flux and kubectl tooling use (sigs.k8s.io/cli-utils/pkg/kstatus/status), so a test can check
// what those tools will make of a status without running them.
package main

import (
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	// UnmarshalJSON keeps integers as int64, as kstatus reads generations; it needs the object's
	// apiVersion and kind.
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(in); err != nil {
		fail(err)
	}
	res, err := status.Compute(obj)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s\t%s\n", res.Status, res.Message)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kstatus:", err)
	os.Exit(2)
}
