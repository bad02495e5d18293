package texttest

import "testing"

func TestDecodeRefusesADuplicateKey(t *testing.T) {
	if _, err := decode([]byte(`{"a": "one", "b": "two", "a": "three"}`)); err == nil {
		t.Fatal("a key given twice was accepted")
	}
	m, err := decode([]byte(`{"a": "one", "b": "two {n}"}`))
	if err != nil || m["a"] != "one" || m["b"] != "two {n}" {
		t.Fatalf("decode = %v, %v", m, err)
	}
	if _, err := decode([]byte(`["a"]`)); err == nil {
		t.Fatal("an array was accepted")
	}
}
