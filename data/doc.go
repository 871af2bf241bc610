// Package data loads the image classification datasets used by darts-go
// (CIFAR-10, CIFAR-100, MNIST, Fashion-MNIST and an embedded CIFAR-10 sample),
// downloads and caches them, and turns them into augmented, normalised
// float32 training batches.
//
// The package depends on the standard library only. Its outputs are plain
// slices: a Dataset holds uint8 pixels in (N, C, H, W) order with int32
// labels, and a Loader produces float32 batches in the channel-major layout
// (C, N, H, W) that the rest of the project uses for activations (see
// DESIGN.md): element (n, c, h, w) of a batch of n images lives at
// X[((c*N+n)*H+h)*W+w].
//
// # Files
//
// The loaders read the datasets' official distribution formats:
//
//   - CIFAR-10 binary version: data_batch_1.bin … data_batch_5.bin and
//     test_batch.bin, records of 3073 bytes (label, 1024 R, 1024 G, 1024 B),
//     class names in batches.meta.txt.
//   - CIFAR-100 binary version: train.bin and test.bin, records of 3074 bytes
//     (coarse label, fine label, 3072 pixels); the fine labels are used, with
//     names from fine_label_names.txt.
//   - MNIST and Fashion-MNIST: IDX files train-images-idx3-ubyte,
//     train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
//     gzip-compressed (".gz") or not.
//
// Every malformed input (missing file, wrong size, bad magic number, label
// out of range, truncated gzip stream) is reported as one *FileError naming
// the dataset, the file and the problem; the loaders never panic on bad data.
//
// # Locating and downloading
//
// Resolve finds a dataset's folder under a base directory (the --data-dir
// flag, else $DARTS_DATA, else <user cache dir>/darts-go/<name>) and, when the
// files are absent, downloads the official archive with a progress bar,
// verifies its MD5 checksum, extracts it safely and moves it into place
// atomically. Open combines Resolve and the loaders.
//
// # Batches
//
// NewLoader iterates over a dataset (or a subset of its indices) in batches,
// with deterministic shuffling and DARTS' training augmentation (random crop
// with zero padding, horizontal flip, cutout). A batch depends only on the
// seed, the epoch and the iteration, so a run resumed at (epoch, iteration)
// sees the same batches as an uninterrupted one.
package data
