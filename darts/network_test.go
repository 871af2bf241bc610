package darts

import (
	"testing"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
)

func builtinGenotype(t *testing.T, name string) cells.Genotype {
	t.Helper()
	g, ok := cells.Builtin(name)
	if !ok {
		t.Fatalf("no builtin genotype %s", name)
	}
	return g
}

func TestNetworkParamCountDARTSV2(t *testing.T) {
	spec := NetworkSpec{Genotype: builtinGenotype(t, "DARTS_V2"), C: 36, Layers: 20, Classes: 10, InChannels: 3, Auxiliary: true}
	net, err := NewNetwork(ag.NewCPU(), spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := net.NumParams(); got != 3349342 {
		t.Errorf("DARTS_V2 C=36 L=20: %d parameters without the auxiliary head, want 3349342", got)
	}
	t.Logf("aux %d, madds %d", net.NumAuxParams(), net.MultAdds(32, 32))
}
