package darts

// SearchConfig holds the flags of `darts search`; the defaults are those of
// the original DARTS implementation (train_search.py).
type SearchConfig struct {
	Dataset         string  // cifar10, cifar10-sample, cifar100, mnist, fashion-mnist
	DataDir         string  // where the dataset files are (else $DARTS_DATA, else the user cache)
	BatchSize       int     // 64
	Epochs          int     // 50
	InitChannels    int     // 16
	Layers          int     // 8
	Steps           int     // intermediate nodes per cell: 4
	Multiplier      int     // nodes concatenated into the cell output: 4
	StemMultiplier  int     // 3
	LR              float64 // 0.025
	LRMin           float64 // 0.001
	Momentum        float64 // 0.9
	WeightDecay     float64 // 3e-4
	ArchLR          float64 // 3e-4
	ArchWeightDecay float64 // 1e-3
	Unrolled        bool    // second-order architecture gradient
	TrainPortion    float64 // 0.5
	GradClip        float64 // 5
	Seed            int64   // 2
	Subset          int     // use only the first N training images (0 = all)
	Threads         int     // kernel threads (0 = physical cores)
	Out             string  // output directory
	Resume          bool    // continue from Out/checkpoint.safetensors
	DryRun          bool    // print the parameter count and exit
	LatencyWeight   float64 // weight of the expected-cost penalty on α (0 = accuracy only)
	CostMetric      string  // what that cost is: mflops (default), params or latency (cost.go)
	CostTable       string  // a cost table file to use instead of counting or measuring
}

// DefaultSearchConfig returns the original implementation's defaults.
func DefaultSearchConfig() SearchConfig {
	return SearchConfig{
		Dataset: "cifar10-sample", BatchSize: 64, Epochs: 50, InitChannels: 16, Layers: 8,
		Steps: 4, Multiplier: 4, StemMultiplier: 3,
		LR: 0.025, LRMin: 0.001, Momentum: 0.9, WeightDecay: 3e-4,
		ArchLR: 3e-4, ArchWeightDecay: 1e-3, TrainPortion: 0.5, GradClip: 5, Seed: 2,
		Out: "runs/search", CostMetric: CostMFLOPs,
	}
}
