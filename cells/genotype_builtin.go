package cells

import (
	"sort"
	"strings"
)

// Published genotypes, transcribed from the authors' repositories. The Python
// notation of each is kept verbatim in testdata/genotypes/ and the tests check
// that it parses to the value here.
var builtins = map[string]Genotype{
	// DARTS first order: quark0/darts, cnn/genotypes.py, DARTS_V1 (the
	// repository's very first version called this genotype DARTS).
	"DARTS_V1": {
		Normal: []Edge{
			{"sep_conv_3x3", 1}, {"sep_conv_3x3", 0},
			{"skip_connect", 0}, {"sep_conv_3x3", 1},
			{"skip_connect", 0}, {"sep_conv_3x3", 1},
			{"sep_conv_3x3", 0}, {"skip_connect", 2},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []Edge{
			{"max_pool_3x3", 0}, {"max_pool_3x3", 1},
			{"skip_connect", 2}, {"max_pool_3x3", 0},
			{"max_pool_3x3", 0}, {"skip_connect", 2},
			{"skip_connect", 2}, {"avg_pool_3x3", 0},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	},
	// DARTS second order, the cell of the paper (2.76% on CIFAR-10):
	// quark0/darts, cnn/genotypes.py, DARTS_V2; that file also sets
	// DARTS = DARTS_V2.
	"DARTS_V2": {
		Normal: []Edge{
			{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
			{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
			{"sep_conv_3x3", 1}, {"skip_connect", 0},
			{"skip_connect", 0}, {"dil_conv_3x3", 2},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []Edge{
			{"max_pool_3x3", 0}, {"max_pool_3x3", 1},
			{"skip_connect", 2}, {"max_pool_3x3", 1},
			{"max_pool_3x3", 0}, {"skip_connect", 2},
			{"skip_connect", 2}, {"max_pool_3x3", 1},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	},
	// PC-DARTS (Xu et al., ICLR 2020), searched on CIFAR-10:
	// yuhuixu1993/PC-DARTS, genotypes.py, PC_DARTS_cifar (aliased there as
	// PCDARTS); concat written as range(2, 6).
	"PC_DARTS": {
		Normal: []Edge{
			{"sep_conv_3x3", 1}, {"skip_connect", 0},
			{"sep_conv_3x3", 0}, {"dil_conv_3x3", 1},
			{"sep_conv_5x5", 0}, {"sep_conv_3x3", 1},
			{"avg_pool_3x3", 0}, {"dil_conv_3x3", 1},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []Edge{
			{"sep_conv_5x5", 1}, {"max_pool_3x3", 0},
			{"sep_conv_5x5", 1}, {"sep_conv_5x5", 2},
			{"sep_conv_3x3", 0}, {"sep_conv_3x3", 3},
			{"sep_conv_3x3", 1}, {"sep_conv_3x3", 2},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	},
	// P-DARTS (Chen et al., ICCV 2019), searched on CIFAR-10:
	// chenxin061/pdarts, genotypes.py, PDARTS; concat written as range(2, 6).
	"PDARTS": {
		Normal: []Edge{
			{"skip_connect", 0}, {"dil_conv_3x3", 1},
			{"skip_connect", 0}, {"sep_conv_3x3", 1},
			{"sep_conv_3x3", 1}, {"sep_conv_3x3", 3},
			{"sep_conv_3x3", 0}, {"dil_conv_5x5", 4},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []Edge{
			{"avg_pool_3x3", 0}, {"sep_conv_5x5", 1},
			{"sep_conv_3x3", 0}, {"dil_conv_5x5", 2},
			{"max_pool_3x3", 0}, {"dil_conv_3x3", 1},
			{"dil_conv_3x3", 1}, {"dil_conv_5x5", 3},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	},
}

// builtinAliases maps extra names to entries of builtins.
var builtinAliases = map[string]string{
	"DARTS": "DARTS_V2", // as in quark0/darts cnn/genotypes.py
}

// BuiltinNames returns the names Builtin accepts, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(builtins)+len(builtinAliases))
	for n := range builtins {
		names = append(names, n)
	}
	for n := range builtinAliases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Builtin returns a copy of the named published genotype: DARTS_V1,
// DARTS_V2, DARTS (= DARTS_V2), PC_DARTS or PDARTS. Matching ignores case
// and accepts '-' for '_'.
func Builtin(name string) (Genotype, bool) {
	key := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(name), "-", "_"))
	if a, ok := builtinAliases[key]; ok {
		key = a
	}
	g, ok := builtins[key]
	if !ok {
		return Genotype{}, false
	}
	return g.Clone(), true
}
