// Package kernels is the flat float32 compute layer of darts-go.
package kernels
