// Command gotlog checks the credit bank's checkpoints and proofs with Go's reference code only:
// golang.org/x/mod/sumdb/note for the signed note and golang.org/x/mod/sumdb/tlog for the
// RFC 6962 proofs. Nothing here is shared with the Python service, so agreement is evidence.
//
//	gotlog -vkey <name+hex8+base64> -checkpoint <file> [-inclusion <json>]... [-consistency <json>]... [-old-checkpoint <file>]
//
// Each JSON file holds one object or an array of objects in the service's API shapes:
//
//	inclusion:   {"leaf_index", "tree_size", "leaf_hash_b64" | "leaf_data_b64", "audit_path": [...]}
//	consistency: {"old_size", "old_root_b64", "new_size", "consistency_path": [...]}
//
// It prints one JSON line per check and exits 1 if any check fails (2 on bad usage).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

// result is one line of output.
type result struct {
	Check     string `json:"check"`
	File      string `json:"file,omitempty"`
	Origin    string `json:"origin,omitempty"`
	Size      *int64 `json:"size,omitempty"`
	LeafIndex *int64 `json:"leaf_index,omitempty"`
	OldSize   *int64 `json:"old_size,omitempty"`
	NewSize   *int64 `json:"new_size,omitempty"`
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"`
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

type inclusionProof struct {
	LeafIndex   *int64   `json:"leaf_index"`
	TreeSize    *int64   `json:"tree_size"`
	LeafHashB64 *string  `json:"leaf_hash_b64"`
	LeafDataB64 *string  `json:"leaf_data_b64"`
	AuditPath   []string `json:"audit_path"`
}

type consistencyProof struct {
	OldSize         *int64   `json:"old_size"`
	OldRootB64      *string  `json:"old_root_b64"`
	NewSize         *int64   `json:"new_size"`
	ConsistencyPath []string `json:"consistency_path"`
}

var failed bool

func report(r result) {
	if !r.OK {
		failed = true
	}
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkpointResult reports origin and size only for a checkpoint that opened cleanly.
func checkpointResult(check, path string, cp checkpoint, err error) result {
	if err != nil {
		return result{Check: check, File: path, Error: err.Error()}
	}
	size := cp.size
	return result{Check: check, File: path, Origin: cp.origin, Size: &size, OK: true}
}

// parseHash accepts only the canonical standard base64 of 32 bytes.
func parseHash(s string) (tlog.Hash, error) {
	h, err := tlog.ParseHash(s)
	if err != nil {
		return h, err
	}
	if base64.StdEncoding.EncodeToString(h[:]) != s {
		return h, errors.New("hash is not canonical standard base64")
	}
	return h, nil
}

// parseCheckpoint reads a C2SP tlog-checkpoint v1.0.0 body: origin, size, root, extension lines.
func parseCheckpoint(text string) (checkpoint, error) {
	var cp checkpoint
	if !strings.HasSuffix(text, "\n") {
		return cp, errors.New("checkpoint body must end with a newline")
	}
	lines := strings.Split(text[:len(text)-1], "\n")
	if len(lines) < 3 {
		return cp, errors.New("checkpoint body needs origin, size and root lines")
	}
	cp.origin = lines[0]
	if cp.origin == "" {
		return cp, errors.New("empty origin")
	}
	sizeText := lines[1]
	if sizeText == "" || strings.Trim(sizeText, "0123456789") != "" || (len(sizeText) > 1 && sizeText[0] == '0') {
		return cp, fmt.Errorf("size %q is not decimal without leading zeros", sizeText)
	}
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil {
		return cp, fmt.Errorf("size %q: %v", sizeText, err)
	}
	cp.size = size
	if cp.root, err = parseHash(lines[2]); err != nil {
		return cp, fmt.Errorf("root hash: %v", err)
	}
	for _, ext := range lines[3:] {
		if ext == "" {
			return cp, errors.New("empty extension line")
		}
	}
	return cp, nil
}

// openCheckpoint verifies the note signature and requires origin == key name.
func openCheckpoint(path string, verifier note.Verifier) (checkpoint, error) {
	msg, err := os.ReadFile(path)
	if err != nil {
		return checkpoint{}, err
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, err
	}
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		return cp, err
	}
	if cp.origin != verifier.Name() {
		return cp, fmt.Errorf("origin %q is not the key name %q", cp.origin, verifier.Name())
	}
	return cp, nil
}

// readObjects loads a JSON file holding one object or an array of objects.
func readObjects(path string) ([]json.RawMessage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []json.RawMessage
		err = json.Unmarshal(trimmed, &list)
		return list, err
	}
	return []json.RawMessage{trimmed}, nil
}

func parsePath(items []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(items))
	for i, s := range items {
		h, err := parseHash(s)
		if err != nil {
			return nil, fmt.Errorf("path[%d]: %v", i, err)
		}
		out = append(out, h)
	}
	return out, nil
}

func checkInclusion(raw json.RawMessage, cp checkpoint) (p inclusionProof, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err = dec.Decode(&p); err != nil {
		return p, err
	}
	if p.LeafIndex == nil || p.TreeSize == nil || p.AuditPath == nil {
		return p, errors.New("leaf_index, tree_size and audit_path are required")
	}
	if *p.TreeSize != cp.size {
		return p, fmt.Errorf("tree_size %d is not the checkpoint size %d", *p.TreeSize, cp.size)
	}
	var leaf tlog.Hash
	switch {
	case p.LeafDataB64 != nil:
		data, derr := base64.StdEncoding.DecodeString(*p.LeafDataB64)
		if derr != nil {
			return p, fmt.Errorf("leaf_data_b64: %v", derr)
		}
		leaf = tlog.RecordHash(data)
		if p.LeafHashB64 != nil {
			given, herr := parseHash(*p.LeafHashB64)
			if herr != nil || given != leaf {
				return p, errors.New("leaf_hash_b64 is not the hash of leaf_data_b64")
			}
		}
	case p.LeafHashB64 != nil:
		if leaf, err = parseHash(*p.LeafHashB64); err != nil {
			return p, fmt.Errorf("leaf_hash_b64: %v", err)
		}
	default:
		return p, errors.New("leaf_hash_b64 or leaf_data_b64 is required")
	}
	path, err := parsePath(p.AuditPath)
	if err != nil {
		return p, err
	}
	return p, tlog.CheckRecord(tlog.RecordProof(path), cp.size, cp.root, *p.LeafIndex, leaf)
}

func checkConsistency(raw json.RawMessage, cp checkpoint, old *checkpoint) (p consistencyProof, linked bool, err error) {
	if err = json.Unmarshal(raw, &p); err != nil {
		return p, false, err
	}
	if p.OldSize == nil || p.OldRootB64 == nil || p.NewSize == nil || p.ConsistencyPath == nil {
		return p, false, errors.New("old_size, old_root_b64, new_size and consistency_path are required")
	}
	if *p.NewSize != cp.size {
		return p, false, fmt.Errorf("new_size %d is not the checkpoint size %d", *p.NewSize, cp.size)
	}
	oldRoot, err := parseHash(*p.OldRootB64)
	if err != nil {
		return p, false, fmt.Errorf("old_root_b64: %v", err)
	}
	if old != nil && *p.OldSize == old.size {
		if oldRoot != old.root {
			return p, false, errors.New("old_root_b64 is not the old checkpoint's root")
		}
		linked = true
	}
	path, err := parsePath(p.ConsistencyPath)
	if err != nil {
		return p, false, err
	}
	// CheckTree(proof, new size, new root, old size, old root).
	err = tlog.CheckTree(tlog.TreeProof(path), cp.size, cp.root, *p.OldSize, oldRoot)
	return p, linked && err == nil, err
}

func main() {
	var inclusions, consistencies fileList
	vkey := flag.String("vkey", "", "verifier key name+hex8+base64")
	cpPath := flag.String("checkpoint", "", "signed checkpoint note file")
	oldPath := flag.String("old-checkpoint", "", "earlier signed checkpoint that a consistency proof must link")
	flag.Var(&inclusions, "inclusion", "inclusion proof JSON file (repeatable)")
	flag.Var(&consistencies, "consistency", "consistency proof JSON file (repeatable)")
	flag.Parse()
	if *vkey == "" || *cpPath == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	verifier, err := note.NewVerifier(strings.TrimSpace(*vkey))
	if err != nil {
		report(result{Check: "vkey", Error: err.Error()})
		os.Exit(1)
	}
	cp, err := openCheckpoint(*cpPath, verifier)
	report(checkpointResult("checkpoint", *cpPath, cp, err))
	if err != nil {
		os.Exit(1)
	}

	var old *checkpoint
	if *oldPath != "" {
		oc, err := openCheckpoint(*oldPath, verifier)
		if err == nil && oc.size > cp.size {
			err = fmt.Errorf("old checkpoint size %d exceeds checkpoint size %d", oc.size, cp.size)
		}
		report(checkpointResult("old-checkpoint", *oldPath, oc, err))
		if err == nil {
			old = &oc
		}
	}

	for _, path := range inclusions {
		objects, err := readObjects(path)
		if err != nil {
			report(result{Check: "inclusion", File: path, Error: err.Error()})
			continue
		}
		for _, raw := range objects {
			p, err := checkInclusion(raw, cp)
			report(result{Check: "inclusion", File: path, LeafIndex: p.LeafIndex, Size: p.TreeSize, OK: err == nil, Error: errText(err)})
		}
	}

	linked := false
	for _, path := range consistencies {
		objects, err := readObjects(path)
		if err != nil {
			report(result{Check: "consistency", File: path, Error: err.Error()})
			continue
		}
		for _, raw := range objects {
			p, ok, err := checkConsistency(raw, cp, old)
			linked = linked || ok
			report(result{Check: "consistency", File: path, OldSize: p.OldSize, NewSize: p.NewSize, OK: err == nil, Error: errText(err)})
		}
	}
	if old != nil && !linked {
		report(result{Check: "old-checkpoint-linked", File: *oldPath, Error: "no valid consistency proof from the old checkpoint"})
	}

	if failed {
		os.Exit(1)
	}
}
