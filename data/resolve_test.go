package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type tarEntry struct {
	name string
	body []byte
	typ  byte // tar.TypeReg when 0
	link string
}

func makeTarGz(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typ, Linkname: e.link}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Typeflag == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(e.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

// cifar10Archive builds a miniature cifar-10-binary.tar.gz: 2 records per
// batch file under cifar-10-batches-bin/.
func cifar10Archive(t *testing.T, extra ...tarEntry) []byte {
	recs := cifarRecords([]int{3, 8}, 1)
	entries := []tarEntry{{name: "cifar-10-batches-bin/", typ: tar.TypeDir}}
	for _, f := range append(append([]string(nil), cifar10TrainFiles...), cifar10TestFiles...) {
		entries = append(entries, tarEntry{name: "cifar-10-batches-bin/" + f, body: recs})
	}
	entries = append(entries, tarEntry{name: "cifar-10-batches-bin/batches.meta.txt", body: []byte(strings.Join(cifar10Classes, "\n"))})
	entries = append(entries, tarEntry{name: "cifar-10-batches-bin/readme.html", body: []byte("<html>")})
	return makeTarGz(t, append(entries, extra...))
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// serve starts a server with the given files (by URL path) and counts the
// requests.
func serve(t *testing.T, files map[string][]byte) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// testSource is the CIFAR-10 source pointed at srv.
func testSource(t *testing.T, srv *httptest.Server, md5sum string) Source {
	s, err := LookupSource(CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	s.Mirrors = []string{srv.URL + "/mirror/"}
	if md5sum != "" {
		s.MD5[s.Archive] = md5sum
	}
	return s
}

// noTemp fails when a download temporary folder was left in base.
func noTemp(t *testing.T, base string) {
	t.Helper()
	ents, _ := os.ReadDir(base)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".download-") {
			t.Errorf("temporary %s left in %s", e.Name(), base)
		}
	}
}

func TestDownloadCIFAR10(t *testing.T) {
	arch := cifar10Archive(t)
	srv, hits := serve(t, map[string][]byte{"/mirror/cifar-10-binary.tar.gz": arch})
	base := filepath.Join(t.TempDir(), "cache", "cifar10") // does not exist yet
	src := testSource(t, srv, md5hex(arch))
	var progress bytes.Buffer
	dir, err := ResolveSource(src, base, FetchOptions{Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "cifar-10-batches-bin"); dir != want {
		t.Errorf("dir %s, want %s", dir, want)
	}
	d, err := LoadCIFAR10(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 10 || d.Labels[1] != 8 {
		t.Errorf("N=%d labels %v", d.N, d.Labels)
	}
	if _, err := os.Stat(filepath.Join(dir, "readme.html")); err != nil {
		t.Errorf("other archive files not kept: %v", err)
	}
	if out := progress.String(); !strings.Contains(out, "download cifar-10-binary.tar.gz: 100%") || !strings.Contains(out, " in ") {
		t.Errorf("progress output %q", out)
	}
	noTemp(t, base)
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("folder mode %v", fi.Mode().Perm())
	}

	// Cached: no second request, found from the base or the folder itself.
	for _, b := range []string{base, dir} {
		got, err := ResolveSource(src, b, FetchOptions{})
		if err != nil || got != dir {
			t.Errorf("ResolveSource(%s) = %s, %v", b, got, err)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1", hits.Load())
	}

	// A missing file is fetched again and merged without touching the rest.
	os.Remove(filepath.Join(dir, "data_batch_2.bin"))
	os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte(strings.Join(cifar10Classes, "\n")+"\nmine\n"), 0o644)
	if _, err := ResolveSource(src, base, FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "batches.meta.txt")); !strings.Contains(string(b), "mine") {
		t.Error("an existing file was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, "data_batch_2.bin")); err != nil {
		t.Error(err)
	}
	noTemp(t, base)
}

func TestDownloadWrongChecksum(t *testing.T) {
	arch := cifar10Archive(t)
	srv, _ := serve(t, map[string][]byte{"/mirror/cifar-10-binary.tar.gz": arch})
	base := t.TempDir()
	src := testSource(t, srv, "") // the official checksum
	_, err := ResolveSource(src, base, FetchOptions{})
	t.Log(err)
	wantErr(t, err,
		"cifar10: data not found in "+base+" and download failed (",
		"MD5 "+md5hex(arch)+" does not match the published c32a1d4ab5d03f1284b67883e8d87530",
		"put data_batch_1.bin … test_batch.bin in "+base)
	if _, err := os.Stat(filepath.Join(base, "cifar-10-batches-bin")); err == nil {
		t.Error("files were installed despite the bad checksum")
	}
	noTemp(t, base)
}

func TestDownloadUnsafeArchive(t *testing.T) {
	for _, tc := range []struct {
		name  string
		entry tarEntry
		want  string
	}{
		{"dotdot", tarEntry{name: "cifar-10-batches-bin/../../evil.bin", body: []byte("x")}, `unsafe path "cifar-10-batches-bin/../../evil.bin"`},
		{"absolute", tarEntry{name: "/tmp/evil.bin", body: []byte("x")}, `unsafe path "/tmp/evil.bin"`},
		{"symlink", tarEntry{name: "cifar-10-batches-bin/link", typ: tar.TypeSymlink, link: "/etc/passwd"}, `unsupported entry "cifar-10-batches-bin/link"`},
		{"hardlink", tarEntry{name: "cifar-10-batches-bin/hard", typ: tar.TypeLink, link: "../../x"}, `unsupported entry "cifar-10-batches-bin/hard"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arch := cifar10Archive(t, tc.entry)
			srv, _ := serve(t, map[string][]byte{"/mirror/cifar-10-binary.tar.gz": arch})
			root := t.TempDir()
			base := filepath.Join(root, "a", "b")
			_, err := ResolveSource(testSource(t, srv, md5hex(arch)), base, FetchOptions{})
			wantErr(t, err, "cifar-10-binary.tar.gz: "+tc.want)
			if _, err := os.Stat(filepath.Join(root, "evil.bin")); err == nil {
				t.Error("file written outside the destination")
			}
			if _, err := os.Stat(filepath.Join(base, "cifar-10-batches-bin")); err == nil {
				t.Error("files installed from an unsafe archive")
			}
			noTemp(t, base)
		})
	}
}

func TestDownloadOffline(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	src, _ := LookupSource(CIFAR10)
	src.Mirrors = []string{url + "/"}
	base := t.TempDir()
	_, err := ResolveSource(src, base, FetchOptions{})
	t.Log(err)
	wantErr(t, err, "cifar10: data not found in "+base+" and download failed (", "connection refused",
		"): put data_batch_1.bin … test_batch.bin in "+base+", or point --data-dir or $DARTS_DATA at the folder holding them")
	noTemp(t, base)
	// A base folder created for the download is removed again.
	fresh := filepath.Join(base, "new")
	if _, err := ResolveSource(src, fresh, FetchOptions{}); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Error("empty base folder left behind")
	}

	// HTTP errors name the address and status; every mirror is tried.
	srv2, hits := serve(t, nil)
	src.Mirrors = []string{srv2.URL + "/a/", srv2.URL + "/b/"}
	_, err = ResolveSource(src, base, FetchOptions{})
	wantErr(t, err, "GET "+srv2.URL+"/a/cifar-10-binary.tar.gz: 404 Not Found; GET "+srv2.URL+"/b/")
	if hits.Load() != 2 {
		t.Errorf("%d requests, want 2", hits.Load())
	}
}

func TestDownloadIndividualFiles(t *testing.T) {
	files := map[string][]byte{}
	src, err := LookupSource(MNIST)
	if err != nil {
		t.Fatal(err)
	}
	imgs := idxFile([]int{2, 28, 28}, make([]byte, 2*784))
	lbls := idxFile([]int{2}, []byte{4, 2})
	for _, f := range src.Files {
		b := lbls
		if strings.Contains(f, "images") {
			b = imgs
		}
		b = gz(t, b)
		files["/mnist/"+f] = b
		src.MD5[f] = md5hex(b)
	}
	srv, hits := serve(t, files)
	src.Mirrors = []string{srv.URL + "/down/", srv.URL + "/mnist/"} // the first mirror fails
	base := t.TempDir()
	// One file is present already (uncompressed): it is not fetched.
	writeFile(t, filepath.Join(base, "mnist", "t10k-labels-idx1-ubyte"), lbls)
	dir, err := ResolveSource(src, base, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 6 {
		t.Errorf("%d requests, want 6 (3 files, 2 mirrors each)", hits.Load())
	}
	for _, train := range []bool{true, false} {
		d, err := LoadMNIST(dir, train)
		if err != nil {
			t.Fatal(err)
		}
		if d.N != 2 || d.Labels[0] != 4 {
			t.Errorf("N=%d labels %v", d.N, d.Labels)
		}
	}
	noTemp(t, base)

	// A bad checksum on one file aborts the whole download.
	base2 := t.TempDir()
	src.MD5["train-labels-idx1-ubyte.gz"] = strings.Repeat("0", 32)
	_, err = ResolveSource(src, base2, FetchOptions{})
	wantErr(t, err, "mnist: data not found", "train-labels-idx1-ubyte.gz: MD5", "put train-images-idx3-ubyte.gz … t10k-labels-idx1-ubyte.gz in "+base2)
	if _, err := os.Stat(filepath.Join(base2, "mnist")); err == nil {
		t.Error("files installed despite the bad checksum")
	}
}

func TestBaseDirAndResolve(t *testing.T) {
	t.Setenv("DARTS_DATA", "/env/data")
	if d, _ := BaseDir(CIFAR10, "/flag"); d != "/flag" {
		t.Errorf("flag: %s", d)
	}
	if d, _ := BaseDir(CIFAR10, ""); d != "/env/data" {
		t.Errorf("env: %s", d)
	}
	t.Setenv("DARTS_DATA", "")
	cache, err := os.UserCacheDir()
	if err == nil {
		if d, _ := BaseDir(MNIST, ""); d != filepath.Join(cache, "darts-go", "mnist") {
			t.Errorf("cache: %s", d)
		}
	}
	if _, err := LookupSource("imagenet"); err == nil {
		t.Error("unknown dataset accepted")
	}
	if _, err := Resolve("imagenet", t.TempDir(), nil); err == nil {
		t.Error("unknown dataset accepted")
	}
	if d, err := Resolve(CIFAR10Sample, "", nil); d != "" || err != nil {
		t.Errorf("Resolve(cifar10-sample) = %q, %v", d, err)
	}
	// The sources handed out are copies.
	s, _ := LookupSource(CIFAR10)
	s.Mirrors[0], s.MD5[s.Archive] = "x", "y"
	if s2, _ := LookupSource(CIFAR10); s2.Mirrors[0] == "x" || s2.MD5[s2.Archive] == "y" {
		t.Error("LookupSource shares its tables")
	}

	// A local copy is found under the base without any network access.
	dir := t.TempDir()
	writeCIFAR10(t, filepath.Join(dir, "cifar-10-batches-bin"), 1)
	t.Setenv("DARTS_DATA", dir)
	d, err := Open(CIFAR10, "", false, nil)
	if err != nil || d.N != 1 {
		t.Fatalf("Open via $DARTS_DATA: %v", err)
	}
}

func TestResolveRealFolder(t *testing.T) {
	dir := realCIFAR10(t)
	for _, dd := range []string{dir, filepath.Dir(dir)} {
		got, err := Resolve(CIFAR10, dd, nil)
		if err != nil || got != dir {
			t.Errorf("Resolve(cifar10, %s) = %s, %v", dd, got, err)
		}
	}
}

func TestDownloadStall(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(make([]byte, 10))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	src, _ := LookupSource(CIFAR10)
	src.Mirrors = []string{srv.URL + "/"}
	var progress bytes.Buffer
	_, err := ResolveSource(src, t.TempDir(), FetchOptions{StallTimeout: 100 * time.Millisecond, Progress: &progress})
	wantErr(t, err, "cifar-10-binary.tar.gz: no data received for 100ms after 10 bytes")
}
