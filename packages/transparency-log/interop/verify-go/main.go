// Command verify-go checks the ledger's signed checkpoints and proofs with verifiers the ledger's
// team did not write:
//
//   - golang.org/x/mod/sumdb/note (the Go checksum database's signed-note implementation, the
//     origin of C2SP signed-note): NewVerifier parses the verifier key, Open checks the signature;
//   - github.com/transparency-dev/formats/log: ParseCheckpoint parses the C2SP tlog-checkpoint
//     body (and checks the signature again through note.Open);
//   - golang.org/x/mod/sumdb/tlog (RFC 6962 trees): CheckRecord, CheckTree, RecordHash and
//     TreeHash;
//   - github.com/transparency-dev/merkle/proof (RFC 6962/9162 verification, from Trillian):
//     VerifyInclusion and VerifyConsistency.
//
// Every proof is checked by both proof libraries, against the roots of signed checkpoints only.
//
// Input, JSON on stdin:
//
//	{
//	  "verifierKey": "<name>+<key id>+<base64 key>",
//	  "origin": "…",                         // optional; default: the key's name
//	  "checkpoints": ["<signed note>", …],   // at least one
//	  "inclusion": [{"leafIndex": 0, "treeSize": 8, "leafHash": "…", "auditPath": ["…"],
//	                 "leafData": "…"}],      // leafData (base64 leaf bytes) is optional
//	  "consistency": [{"oldSize": 5, "newSize": 8, "proof": ["…"]}],
//	  "leafHashes": ["…", …],                // optional: every leaf, in order
//	  "witnessKeys": ["<name>+<id>+<key>", …] // optional: each must have cosigned every checkpoint
//	}
//
// Witness cosignatures (C2SP tlog-cosignature, cosignature/v1) are checked with
// github.com/transparency-dev/formats/note's NewVerifierForCosignatureV1.
//
// With -cosign, it is a witness instead: it reads {"signerKey": "PRIVATE+KEY+…", "note": "…",
// "verifierKey": "…"} and prints the note, opened with the log's verifier key, cosigned by that
// key with NewSignerForCosignatureV1.
//
// Each proof's sizes must be those of checkpoints given. leafHashes, when given, must produce the
// root of every checkpoint whose size is at most their number. Exit status: 0 if everything
// verifies, 1 if anything does not, 2 if the input cannot be read. The report goes to stdout,
// failures to stderr.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// An inclusion proof as the ledger serves it (GET /v1/log/proofs/inclusion, `ledger proof`):
// position is the event's place in the ledger's log, for the reader; root, when given, must be the
// root of the verified checkpoint of treeSize.
type inclusion struct {
	Position  *int64   `json:"position"`
	LeafIndex int64    `json:"leafIndex"`
	TreeSize  int64    `json:"treeSize"`
	LeafHash  string   `json:"leafHash"`
	AuditPath []string `json:"auditPath"`
	Root      *string  `json:"root"`
	LeafData  *string  `json:"leafData"`
}

// A consistency proof as the ledger serves it; oldRoot and newRoot, when given, must be the roots
// of the verified checkpoints of those sizes.
type consistency struct {
	OldSize int64    `json:"oldSize"`
	NewSize int64    `json:"newSize"`
	Proof   []string `json:"proof"`
	OldRoot *string  `json:"oldRoot"`
	NewRoot *string  `json:"newRoot"`
}

// Whether a root the proof carries, if any, is the verified checkpoint's.
func sameRoot(given *string, verified []byte) bool {
	if given == nil {
		return true
	}
	decoded, err := base64.StdEncoding.DecodeString(*given)
	return err == nil && bytes.Equal(decoded, verified)
}

type input struct {
	VerifierKey string        `json:"verifierKey"`
	Origin      *string       `json:"origin"`
	Checkpoints []string      `json:"checkpoints"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
	LeafHashes  []string      `json:"leafHashes"`
	WitnessKeys []string      `json:"witnessKeys"`
}

type report struct {
	OK           bool     `json:"ok"`
	Checkpoints  []string `json:"checkpoints"`
	Inclusion    int      `json:"inclusionVerified"`
	Consistency  int      `json:"consistencyVerified"`
	RootsRebuilt int      `json:"rootsRebuiltFromLeafHashes"`
	Cosignatures int      `json:"cosignaturesVerified"`
	Failures     []string `json:"failures"`
}

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read stdin:", err)
		os.Exit(2)
	}
	if len(os.Args) > 1 && os.Args[1] == "-cosign" {
		cosign(raw)
		return
	}
	var in input
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "parse input:", err)
		os.Exit(2)
	}
	r := run(in)
	out, _ := json.MarshalIndent(r, "", "  ")
	fmt.Println(string(out))
	if !r.OK {
		for _, f := range r.Failures {
			fmt.Fprintln(os.Stderr, "FAIL:", f)
		}
		os.Exit(1)
	}
}

func decodeHash(s string) ([]byte, error) {
	h, err := tlog.ParseHash(s)
	if err != nil {
		return nil, err
	}
	return h[:], nil
}

func decodeHashes(ss []string) ([][]byte, error) {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		h, err := decodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("hash %d: %w", i, err)
		}
		out[i] = h
	}
	return out, nil
}

func toTlog(hs [][]byte) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		copy(out[i][:], h)
	}
	return out
}

func run(in input) (r report) {
	r.Checkpoints = []string{}
	r.Failures = []string{}
	fail := func(format string, args ...any) {
		r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
	}
	defer func() { r.OK = len(r.Failures) == 0 }()

	verifier, err := note.NewVerifier(in.VerifierKey)
	if err != nil {
		fail("verifier key: %v", err)
		return
	}
	origin := verifier.Name()
	if in.Origin != nil {
		origin = *in.Origin
	}
	if len(in.Checkpoints) == 0 {
		fail("no checkpoint given")
		return
	}

	// Checkpoints: signature (note.Open), then body (formats/log.ParseCheckpoint, which opens the
	// note again and checks the origin).
	roots := map[int64][]byte{}
	for i, text := range in.Checkpoints {
		if _, err := note.Open([]byte(text), note.VerifierList(verifier)); err != nil {
			fail("checkpoint %d: note.Open: %v", i, err)
			continue
		}
		cp, _, _, err := log.ParseCheckpoint([]byte(text), origin, verifier)
		if err != nil {
			fail("checkpoint %d: log.ParseCheckpoint: %v", i, err)
			continue
		}
		if len(cp.Hash) != tlog.HashSize {
			fail("checkpoint %d: root is %d bytes", i, len(cp.Hash))
			continue
		}
		size := int64(cp.Size)
		if prev, ok := roots[size]; ok && !bytes.Equal(prev, cp.Hash) {
			fail("checkpoint %d: two different roots for size %d", i, size)
			continue
		}
		roots[size] = cp.Hash
		for _, key := range in.WitnessKeys {
			witness, err := fnote.NewVerifierForCosignatureV1(key)
			if err != nil {
				fail("witness key %q: %v", key, err)
				continue
			}
			if _, err := note.Open([]byte(text), note.VerifierList(witness)); err != nil {
				fail("checkpoint %d: cosignature of %s: %v", i, witness.Name(), err)
				continue
			}
			r.Cosignatures++
		}
		r.Checkpoints = append(r.Checkpoints, fmt.Sprintf("%s %d %s", cp.Origin, cp.Size, base64.StdEncoding.EncodeToString(cp.Hash)))
	}

	for i, p := range in.Inclusion {
		root, ok := roots[p.TreeSize]
		if !ok {
			fail("inclusion %d: no verified checkpoint of size %d", i, p.TreeSize)
			continue
		}
		if !sameRoot(p.Root, root) {
			fail("inclusion %d: root is not the root of the verified checkpoint of size %d", i, p.TreeSize)
			continue
		}
		leaf, err := decodeHash(p.LeafHash)
		if err != nil {
			fail("inclusion %d: leafHash: %v", i, err)
			continue
		}
		path, err := decodeHashes(p.AuditPath)
		if err != nil {
			fail("inclusion %d: auditPath: %v", i, err)
			continue
		}
		if p.LeafData != nil {
			data, err := base64.StdEncoding.DecodeString(*p.LeafData)
			if err != nil {
				fail("inclusion %d: leafData: %v", i, err)
				continue
			}
			if h := tlog.RecordHash(data); !bytes.Equal(h[:], leaf) {
				fail("inclusion %d: tlog.RecordHash(leafData) is not leafHash", i)
				continue
			}
			if !bytes.Equal(rfc6962.DefaultHasher.HashLeaf(data), leaf) {
				fail("inclusion %d: rfc6962 HashLeaf(leafData) is not leafHash", i)
				continue
			}
		}
		if p.LeafIndex < 0 || p.TreeSize < 0 {
			fail("inclusion %d: negative index or size", i)
			continue
		}
		var root32, leaf32 tlog.Hash
		copy(root32[:], root)
		copy(leaf32[:], leaf)
		if err := tlog.CheckRecord(toTlog(path), p.TreeSize, root32, p.LeafIndex, leaf32); err != nil {
			fail("inclusion %d (leaf %d, size %d): tlog.CheckRecord: %v", i, p.LeafIndex, p.TreeSize, err)
			continue
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(p.LeafIndex), uint64(p.TreeSize), leaf, path, root); err != nil {
			fail("inclusion %d (leaf %d, size %d): proof.VerifyInclusion: %v", i, p.LeafIndex, p.TreeSize, err)
			continue
		}
		r.Inclusion++
	}

	for i, c := range in.Consistency {
		oldRoot, ok1 := roots[c.OldSize]
		newRoot, ok2 := roots[c.NewSize]
		if !ok1 || !ok2 {
			fail("consistency %d: no verified checkpoints of sizes %d and %d", i, c.OldSize, c.NewSize)
			continue
		}
		if !sameRoot(c.OldRoot, oldRoot) || !sameRoot(c.NewRoot, newRoot) {
			fail("consistency %d: oldRoot or newRoot is not the verified checkpoint's", i)
			continue
		}
		path, err := decodeHashes(c.Proof)
		if err != nil {
			fail("consistency %d: proof: %v", i, err)
			continue
		}
		if c.OldSize < 0 || c.NewSize < 0 {
			fail("consistency %d: negative size", i)
			continue
		}
		// tlog.CheckTree requires an old size of at least 1 (every tree extends the empty one);
		// an old size larger than the new one (a truncated log) is refused by both libraries.
		if c.OldSize >= 1 {
			var o, n tlog.Hash
			copy(o[:], oldRoot)
			copy(n[:], newRoot)
			if err := tlog.CheckTree(toTlog(path), c.NewSize, n, c.OldSize, o); err != nil {
				fail("consistency %d (%d -> %d): tlog.CheckTree: %v", i, c.OldSize, c.NewSize, err)
				continue
			}
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(c.OldSize), uint64(c.NewSize), path, oldRoot, newRoot); err != nil {
			fail("consistency %d (%d -> %d): proof.VerifyConsistency: %v", i, c.OldSize, c.NewSize, err)
			continue
		}
		r.Consistency++
	}

	if in.LeafHashes != nil {
		leaves, err := decodeHashes(in.LeafHashes)
		if err != nil {
			fail("leafHashes: %v", err)
			return
		}
		// Rebuild the tree with tlog's own hash storage and compare every checkpoint it covers.
		var storage []tlog.Hash
		reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(indexes))
			for i, x := range indexes {
				out[i] = storage[x]
			}
			return out, nil
		})
		checkRoot := func(n int64) {
			want, ok := roots[n]
			if !ok {
				return
			}
			got, err := tlog.TreeHash(n, reader)
			if err != nil {
				fail("leafHashes: tlog.TreeHash(%d): %v", n, err)
				return
			}
			if !bytes.Equal(got[:], want) {
				fail("leafHashes: tlog.TreeHash(%d) is not the checkpoint's root", n)
				return
			}
			r.RootsRebuilt++
		}
		checkRoot(0)
		for i, h := range leaves {
			var leaf tlog.Hash
			copy(leaf[:], h)
			hashes, err := tlog.StoredHashesForRecordHash(int64(i), leaf, reader)
			if err != nil {
				fail("leafHashes: tlog.StoredHashesForRecordHash(%d): %v", i, err)
				return
			}
			storage = append(storage, hashes...)
			checkRoot(int64(i + 1))
		}
	}
	return
}

// cosign acts as a witness: it cosigns a checkpoint the log's key signed.
func cosign(raw []byte) {
	var in struct {
		SignerKey   string `json:"signerKey"`
		VerifierKey string `json:"verifierKey"`
		Note        string `json:"note"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		fmt.Fprintln(os.Stderr, "parse input:", err)
		os.Exit(2)
	}
	logKey, err := note.NewVerifier(in.VerifierKey)
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifier key:", err)
		os.Exit(2)
	}
	signer, err := fnote.NewSignerForCosignatureV1(in.SignerKey)
	if err != nil {
		fmt.Fprintln(os.Stderr, "signer key:", err)
		os.Exit(2)
	}
	n, err := note.Open([]byte(in.Note), note.VerifierList(logKey))
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(1)
	}
	signed, err := note.Sign(n, signer)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sign:", err)
		os.Exit(1)
	}
	os.Stdout.Write(signed)
}
