// Command go-checker judges notes and Merkle proofs made by CompanyOS with Go's reference implementations:
// golang.org/x/mod/sumdb/note (C2SP signed notes) and golang.org/x/mod/sumdb/tlog (RFC 6962 proofs).
// It reads one JSON request on stdin and writes one JSON verdict on stdout; test/go-interop.test.ts runs it.
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build -o go-checker ./test/go-checker
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	LeafHash string   `json:"leafHash"`
	Index    int64    `json:"index"`
	Size     int64    `json:"size"`
	Proof    []string `json:"proof"`
	Root     string   `json:"root"`
}

type consistency struct {
	From  int64    `json:"from"`
	To    int64    `json:"to"`
	Proof []string `json:"proof"`
	Root1 string   `json:"root1"`
	Root2 string   `json:"root2"`
}

type request struct {
	VerifierKeys []string      `json:"verifierKeys"`
	Notes        []string      `json:"notes"`
	Inclusion    []inclusion   `json:"inclusion"`
	Consistency  []consistency `json:"consistency"`
	// Leaves: leaf inputs (base64); the checker answers the root tlog computes over them.
	Leaves []string `json:"leaves"`
}

type noteVerdict struct {
	OK         bool     `json:"ok"`
	Error      string   `json:"error,omitempty"`
	Text       string   `json:"text,omitempty"`
	Verified   []string `json:"verified,omitempty"`
	Unverified []string `json:"unverified,omitempty"`
}

type response struct {
	Notes       []noteVerdict `json:"notes"`
	Inclusion   []bool        `json:"inclusion"`
	Consistency []bool        `json:"consistency"`
	Root        string        `json:"root,omitempty"`
}

func hashOf(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("not a base64 hash: %q", s)
	}
	copy(h[:], b)
	return h, nil
}

func hashesOf(ss []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		h, err := hashOf(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "go-checker: bad request:", err)
		os.Exit(2)
	}
	var verifiers []note.Verifier
	for _, k := range req.VerifierKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			fmt.Fprintln(os.Stderr, "go-checker: verifier key:", err)
			os.Exit(2)
		}
		verifiers = append(verifiers, v)
	}
	known := note.VerifierList(verifiers...)
	resp := response{Notes: []noteVerdict{}, Inclusion: []bool{}, Consistency: []bool{}}
	for _, msg := range req.Notes {
		n, err := note.Open([]byte(msg), known)
		if err != nil {
			resp.Notes = append(resp.Notes, noteVerdict{Error: err.Error()})
			continue
		}
		v := noteVerdict{OK: true, Text: n.Text}
		for _, s := range n.Sigs {
			v.Verified = append(v.Verified, s.Name)
		}
		for _, s := range n.UnverifiedSigs {
			v.Unverified = append(v.Unverified, s.Name)
		}
		resp.Notes = append(resp.Notes, v)
	}
	for _, p := range req.Inclusion {
		leaf, err1 := hashOf(p.LeafHash)
		root, err2 := hashOf(p.Root)
		proof, err3 := hashesOf(p.Proof)
		ok := err1 == nil && err2 == nil && err3 == nil && tlog.CheckRecord(proof, p.Size, root, p.Index, leaf) == nil
		resp.Inclusion = append(resp.Inclusion, ok)
	}
	for _, p := range req.Consistency {
		root1, err1 := hashOf(p.Root1)
		root2, err2 := hashOf(p.Root2)
		proof, err3 := hashesOf(p.Proof)
		ok := err1 == nil && err2 == nil && err3 == nil && tlog.CheckTree(proof, p.To, root2, p.From, root1) == nil
		resp.Consistency = append(resp.Consistency, ok)
	}
	if len(req.Leaves) > 0 {
		// tlog's own tree: stored hashes from StoredHashes, root from TreeHash.
		var stored []tlog.Hash
		reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(indexes))
			for i, x := range indexes {
				out[i] = stored[x]
			}
			return out, nil
		})
		for i, l := range req.Leaves {
			data, err := base64.StdEncoding.DecodeString(l)
			if err != nil {
				fmt.Fprintln(os.Stderr, "go-checker: leaf:", err)
				os.Exit(2)
			}
			hashes, err := tlog.StoredHashes(int64(i), data, reader)
			if err != nil {
				fmt.Fprintln(os.Stderr, "go-checker: StoredHashes:", err)
				os.Exit(2)
			}
			stored = append(stored, hashes...)
		}
		root, err := tlog.TreeHash(int64(len(req.Leaves)), reader)
		if err != nil {
			fmt.Fprintln(os.Stderr, "go-checker: TreeHash:", err)
			os.Exit(2)
		}
		resp.Root = base64.StdEncoding.EncodeToString(root[:])
	}
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		os.Exit(1)
	}
}
