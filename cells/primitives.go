// Package cells holds the DARTS search space: the candidate operations, the
// discrete architecture description (Genotype) with its file formats, the
// discretization of the continuous architecture weights α into a Genotype,
// and drawings of cells.
package cells

// Primitives are the names of the eight candidate operations of the DARTS
// CNN search space, in the order of the original implementation
// (quark0/darts, cnn/genotypes.py). Column k of an architecture weight table
// (α or softmax(α)) belongs to Primitives[k]. The slice must not be modified.
var Primitives = []string{
	"none",
	"max_pool_3x3",
	"avg_pool_3x3",
	"skip_connect",
	"sep_conv_3x3",
	"sep_conv_5x5",
	"dil_conv_3x3",
	"dil_conv_5x5",
}

// NumPrimitives is len(Primitives).
const NumPrimitives = 8

// OpNone is the "zero" operation. It takes part in the search but is never
// kept in a genotype.
const OpNone = "none"

// PrimitiveIndex returns the position of the named operation in Primitives,
// or -1 if the name is not a DARTS primitive.
func PrimitiveIndex(name string) int {
	for i, p := range Primitives {
		if p == name {
			return i
		}
	}
	return -1
}
