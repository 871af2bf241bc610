//go:build amd64 && !noasm

package kernels

import "testing"

// TestDepthwiseStride2Routes checks that the stride-2 passes of the DARTS
// reduction cells on CIFAR (3×3 and 5×5, dilation 1 and 2, "same" padding,
// 32×32 and 16×16 planes) take the direct kernels they were measured with
// (bench/README.md), and that other shapes keep the old paths, so that a
// change to the conditions cannot silently move them (the results would
// stay right, only slower).
func TestDepthwiseStride2Routes(t *testing.T) {
	for _, hw := range []int{32, 16} {
		for _, k := range []int{3, 5} {
			for _, d := range []int{1, 2} {
				s := DWConv{C: 16, N: 64, H: hw, W: hw, K: k, Stride: 2, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: true}
				fwd, wgt := true, true
				in := k == 3 || d == 1 || hw == 32
				if dwS2OK(s) != fwd || dwS2WOK(s) != wgt || dwS2IOK(s) != in {
					t.Errorf("%dx%d K%d D%d: forward %v weight %v input %v, want %v %v %v",
						hw, hw, k, d, dwS2OK(s), dwS2WOK(s), dwS2IOK(s), fwd, wgt, in)
				}
				wee := k == 5 && d == 2 && hw == 32
				wj := dwBWS2Jobs
				if wee {
					wj = dwBWS2EEJobs
				}
				if in && dwBInJobs(s, false) != dwBInS2Jobs || wgt && dwBWJobs(s) != wj {
					t.Errorf("%dx%d K%d D%d: not dispatched to the direct jobs", hw, hw, k, d)
				}
				if iee := k == 5 && d == 2 && hw == 16; dwS2IEEOK(s) != iee || iee && dwBInJobs(s, false) != dwBInS2EEJobs {
					t.Errorf("%dx%d K%d D%d: input gradient added over the even rows and columns %v, want %v", hw, hw, k, d, dwS2IEEOK(s), iee)
				}
				if !dwBackwardInputSetsAll(s) && in {
					t.Errorf("%dx%d K%d D%d: the direct input gradient writes all of dx", hw, hw, k, d)
				}
				if ee := k == 5 && d == 2; dwS2EEOK(s) != ee || dwS2WEEOK(s) != wee {
					t.Errorf("%dx%d K%d D%d: forward and weight gradient on the even rows and columns %v %v, want %v %v", hw, hw, k, d, dwS2EEOK(s), dwS2WEEOK(s), ee, wee)
				}
				if dwBInJobs(s, true) != dwBInS2Jobs || !dwBackwardInputSetsAll(s) {
					t.Errorf("%dx%d K%d D%d: setting dx does not take the direct kernels", hw, hw, k, d)
				}
			}
		}
	}
	for _, s := range []DWConv{
		{C: 2, N: 2, H: 32, W: 48, K: 3, Stride: 2, Pad: 1, Dilation: 1}, // width
		{C: 2, N: 2, H: 31, W: 32, K: 3, Stride: 2, Pad: 1, Dilation: 1}, // odd height
		{C: 2, N: 2, H: 32, W: 32, K: 3, Stride: 2, Pad: 0, Dilation: 1}, // padding
		{C: 2, N: 2, H: 32, W: 32, K: 3, Stride: 1, Pad: 1, Dilation: 1}, // stride 1
	} {
		if dwS2OK(s) || dwS2WOK(s) || dwS2IOK(s) || dwS2EEOK(s) || dwS2WEEOK(s) || dwS2IEEOK(s) {
			t.Errorf("%+v: taken by a direct stride-2 kernel", s)
		}
	}
	prev := dwDirectOn
	dwDirectOn = false
	defer func() { dwDirectOn = prev }()
	s := DWConv{C: 16, N: 64, H: 32, W: 32, K: 3, Stride: 2, Pad: 1, Dilation: 1}
	dwS2EEShape := DWConv{C: 16, N: 64, H: 32, W: 32, K: 5, Stride: 2, Pad: 4, Dilation: 2}
	if dwS2OK(s) || dwS2WOK(s) || dwS2IOK(s) || dwS2EEOK(dwS2EEShape) || dwS2WEEOK(dwS2EEShape) || dwS2IEEOK(DWConv{C: 16, N: 64, H: 16, W: 16, K: 5, Stride: 2, Pad: 4, Dilation: 2}) {
		t.Error("dwDirectOn = false leaves the direct stride-2 kernels on")
	}
}
