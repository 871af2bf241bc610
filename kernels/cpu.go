package kernels

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/cpuid/v2"
	"golang.org/x/sys/cpu"
)

// CPU describes what was detected once at start-up and drives the choice of
// implementation and the blocking parameters.
type CPU struct {
	Brand         string
	HasAVX2       bool // AVX2 with the OS saving YMM state
	HasFMA        bool
	HasAVX512F    bool // shown by Report; no kernel uses it (they are AVX2+FMA)
	PhysicalCores int
	LogicalCores  int
	L1D, L2, L3   int // bytes; 0 when unknown
}

// Detected is the CPU found at start-up.
var Detected CPU

// useAsm is true when the assembly kernels run: the CPU has AVX2 and FMA,
// the OS saves YMM registers, the binary was built without the noasm tag and
// DARTS_NOASM is not set in the environment.
var useAsm bool

func init() {
	Detected = CPU{
		Brand:         cpuid.CPU.BrandName,
		HasAVX2:       cpu.X86.HasAVX2 && cpu.X86.HasAVX, // HasAVX includes the OS (XGETBV) check
		HasFMA:        cpu.X86.HasFMA,
		HasAVX512F:    cpu.X86.HasAVX512F, // with the OS saving ZMM state
		PhysicalCores: cpuid.CPU.PhysicalCores,
		LogicalCores:  cpuid.CPU.LogicalCores,
		L1D:           cpuid.CPU.Cache.L1D,
		L2:            cpuid.CPU.Cache.L2,
		L3:            cpuid.CPU.Cache.L3,
	}
	if Detected.L1D <= 0 {
		Detected.L1D = 32 << 10
	}
	if Detected.L2 <= 0 {
		Detected.L2 = 512 << 10
	}
	if Detected.L3 <= 0 {
		Detected.L3 = 8 << 20
	}
	useAsm = haveAsm && Detected.HasAVX2 && Detected.HasFMA && !envNoAsm()
	n := Detected.PhysicalCores
	if n <= 0 || n > runtime.NumCPU() {
		n = runtime.NumCPU()
	}
	SetThreads(n)
}

func envNoAsm() bool { return envSet("DARTS_NOASM") }

// envSet reports whether the environment variable name is set to
// something other than "", "0" or "false".
func envSet(name string) bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(name)))
	return v != "" && v != "0" && v != "false"
}

// UseAsm reports whether the assembly kernels are in use.
func UseAsm() bool { return useAsm }

// SetUseAsm switches between the assembly and pure-Go kernels at run time and
// returns the previous setting. Asking for assembly where it is unavailable
// leaves the pure-Go path on. Tests use it to compare the two paths.
func SetUseAsm(on bool) (prev bool) {
	prev = useAsm
	useAsm = on && haveAsm && Detected.HasAVX2 && Detected.HasFMA
	return prev
}

var (
	implMu sync.Mutex
	impls  = map[string]bool{} // kernel name -> has an assembly implementation
)

// registerKernel records that the named kernel exists and whether it has an
// assembly implementation; Report lists them.
func registerKernel(name string, hasAsm bool) {
	implMu.Lock()
	impls[name] = hasAsm
	implMu.Unlock()
}

// Report describes the detected CPU and which implementation each kernel uses.
func Report() string {
	var b strings.Builder
	d := Detected
	// In a VM cpuid may describe the host's cores rather than the guest's
	// (254 on a 2-vCPU guest seen here): the CPUs the OS gives this process
	// are shown beside them, and Threads() never exceeds those.
	fmt.Fprintf(&b, "cpu: %s (cpuid: %d physical / %d logical cores; %d CPUs for this process; L1d %d KiB, L2 %d KiB, L3 %d MiB)\n",
		d.Brand, d.PhysicalCores, d.LogicalCores, runtime.NumCPU(), d.L1D>>10, d.L2>>10, d.L3>>20)
	fmt.Fprintf(&b, "features: avx2=%v fma=%v avx512f=%v (unused: the kernels are AVX2+FMA); asm built=%v; asm in use=%v; threads=%d; huge pages for tensors=%v\n",
		d.HasAVX2, d.HasFMA, d.HasAVX512F, haveAsm, useAsm, Threads(), hugeOn)
	implMu.Lock()
	names := make([]string, 0, len(impls))
	for n := range impls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		impl := "pure Go"
		if impls[n] && useAsm {
			impl = "AVX2+FMA assembly"
		}
		fmt.Fprintf(&b, "  %-28s %s\n", n, impl)
	}
	implMu.Unlock()
	return b.String()
}
