# darts-go build, test and benchmark entry points.
GO ?= go
PKGS := ./...

.PHONY: all build test test-short vet fmt-check bench bench-gemm bench-dw bench-compare bench-ports

all: build

build:
	$(GO) build -o bin/darts ./cmd/darts

# The project's test command: formatting, vet (amd64 and arm64, asm and
# noasm), the suite on the assembly path, the suite again with -tags noasm,
# and the race detector on the concurrent packages and the second-order
# step's concurrent passes.
test: fmt-check vet
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -tags noasm $(PKGS)
	$(GO) test -count=1 -race -short ./kernels/ ./autograd/
	$(GO) test -count=1 -race -run 'HessianPasses' ./darts/

vet:
	$(GO) vet $(PKGS)
	$(GO) vet -tags noasm $(PKGS)
	GOARCH=arm64 $(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./kernels/

# kernels.Sgemm against OpenBLAS's cblas_sgemm, one thread each, same process
# (cgo; needs libopenblas-dev), then ours at two threads (bench/README.md).
bench-gemm:
	@printf '#include <cblas.h>\n' | $${CC:-cc} -E -x c - >/dev/null 2>&1 || \
		{ echo "make bench-gemm: OpenBLAS's cblas.h not found; install it with: apt-get install libopenblas-dev" >&2; exit 1; }
	OPENBLAS_NUM_THREADS=1 $(GO) run -tags openblas ./bench/gemm

# The depthwise table of the kernels issue: six samples of each pass at one
# thread, best of each, cells at 40% of 116 GFLOP/s in bold, and the count
# at 40% of the FMA probe of the same run (bench/README.md). The samples
# come from three sweeps of two, about a minute apart: the host switches
# every few seconds between spells in which the kernels' instruction mix
# runs up to 1.7 times slower and spells in which it does not
# (`go run ./bench/ports -watch 60s`), and six samples in a row often fall
# in one spell.
bench-dw:
	for i in 1 2 3; do \
		$(GO) test ./kernels/ -run '^$$' -bench '^BenchmarkFMAPeak$$|^BenchmarkStream$$|^BenchmarkDepthwise$$|^BenchmarkDepthwiseStride2$$' \
			-benchtime=150ms -count=2 -kthreads=1 || exit 1; \
	done | $(GO) run ./bench/dwtable

# What each vector instruction of the kernels costs next to FMAs on this
# machine: issue rate alone and FMA slots taken (bench/README.md).
bench-ports:
	$(GO) run ./bench/ports

# One DARTS search iteration, ours against PyTorch (bench/README.md).
bench-compare:
	bench/compare.sh
