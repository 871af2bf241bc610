//go:build !amd64 || noasm

// Command ports measures AVX2 instructions and so runs on amd64 only, and
// not in a noasm build.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ports: AVX2 instruction costs are measured on amd64 only, without the noasm tag")
	os.Exit(1)
}
