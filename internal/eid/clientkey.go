package eid

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ClientKey is this relying party's own private key, for brokers that want more than a client secret
// (the Finnish Trust Network's OpenID Connect profile, Traficom recommendation 213/2023 S):
//
//   - private_key_jwt client authentication (OpenID Connect Core 1.0 §9, RFC 7523 §2.2): the code is
//     exchanged with a client assertion signed by this key instead of a secret;
//   - signed authorization requests (RFC 9101 request objects, OpenID Connect Core 1.0 §6.1), when the
//     broker's discovery document says it takes them (request_parameter_supported);
//   - encrypted ID tokens (RFC 7516, nested JWT: signed by the broker, then encrypted to this key's
//     public half), decrypted here before the signature is checked as for any ID token.
//
// One key serves both: an RSA key (RS256 assertions; RSA-OAEP or RSA-OAEP-256 encryption) or an EC key
// on P-256, P-384 or P-521 (ES256/384/512; ECDH-ES encryption). Its public half is registered at the
// broker, by hand or from the JWKS (JWKS) as the broker fetches it.
type ClientKey struct {
	key crypto.Signer
	// KeyID is the "kid" of assertions and of the published key: the configured one, else the key's
	// RFC 7638 thumbprint (SHA-256, base64url).
	KeyID string
}

// ErrClientKey says a client key cannot be used; it names the problem, never the key.
var ErrClientKey = errors.New("eid: not a usable client key")

// ParseClientKey reads a PEM private key (PKCS #8, PKCS #1 RSA or SEC 1 EC) for private_key_jwt and
// encrypted ID tokens; keyID is the key's "kid" at the broker, or "" for its thumbprint.
func ParseClientKey(pemBytes []byte, keyID string) (*ClientKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrClientKey)
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: a PEM %q block is not a private key (want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", ErrClientKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClientKey, err)
	}
	k := &ClientKey{KeyID: strings.TrimSpace(keyID)}
	switch key := key.(type) {
	case *rsa.PrivateKey:
		if key.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: an RSA key needs at least 2048 bits", ErrClientKey)
		}
		k.key = key
	case *ecdsa.PrivateKey:
		switch key.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, fmt.Errorf("%w: an EC key must be on P-256, P-384 or P-521", ErrClientKey)
		}
		k.key = key
	default:
		return nil, fmt.Errorf("%w: %T keys are not supported (RSA or EC)", ErrClientKey, key)
	}
	if k.KeyID == "" {
		pub := jose.JSONWebKey{Key: k.key.Public()}
		sum, err := pub.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrClientKey, err)
		}
		k.KeyID = base64.RawURLEncoding.EncodeToString(sum)
	}
	return k, nil
}

// signatureAlgorithm is the JWS algorithm of the key's assertions.
func (k *ClientKey) signatureAlgorithm() jose.SignatureAlgorithm {
	if ec, ok := k.key.(*ecdsa.PrivateKey); ok {
		switch ec.Curve {
		case elliptic.P384():
			return jose.ES384
		case elliptic.P521():
			return jose.ES512
		}
		return jose.ES256
	}
	return jose.RS256
}

// keyAlgorithms are the JWE key management algorithms an ID token may be encrypted with to this key.
// RSA1_5 is refused (RFC 8725 §3.2: padding-oracle attacks).
func (k *ClientKey) keyAlgorithms() []jose.KeyAlgorithm {
	if _, ok := k.key.(*ecdsa.PrivateKey); ok {
		return []jose.KeyAlgorithm{jose.ECDH_ES, jose.ECDH_ES_A128KW, jose.ECDH_ES_A192KW, jose.ECDH_ES_A256KW}
	}
	return []jose.KeyAlgorithm{jose.RSA_OAEP, jose.RSA_OAEP_256}
}

var contentEncryptions = []jose.ContentEncryption{jose.A128CBC_HS256, jose.A192CBC_HS384, jose.A256CBC_HS512, jose.A128GCM, jose.A192GCM, jose.A256GCM}

// ClientAssertionType is the client_assertion_type of private_key_jwt (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AssertionTTL is how long a client assertion is valid: one token request's time.
const AssertionTTL = time.Minute

// assertion is a client assertion for clientID at the token endpoint aud (RFC 7523 §3: iss and sub the
// client id, aud the token endpoint, a fresh jti, exp a minute away).
func (k *ClientKey) assertion(clientID, aud string, now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.signatureAlgorithm(), Key: jose.JSONWebKey{Key: k.key, KeyID: k.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("eid: client assertion: %w", err)
	}
	claims, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": aud, "jti": random(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(AssertionTTL).Unix()})
	jws, err := signer.Sign(claims)
	if err != nil {
		return "", fmt.Errorf("eid: client assertion: %w", err)
	}
	return jws.CompactSerialize()
}

// RequestObjectTTL is how long a signed authorization request is valid: the browser's trip to the broker.
const RequestObjectTTL = 5 * time.Minute

// requestObject turns the authorization URL authURL into one that carries its parameters in a signed
// request object (RFC 9101 §4: iss the client id, aud the broker's issuer), keeping client_id,
// response_type and scope in the query as OpenID Connect Core 1.0 §6.1 asks.
func (k *ClientKey) requestObject(authURL, clientID, issuer string, now time.Time) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", fmt.Errorf("eid: authorization URL: %w", err)
	}
	q := u.Query()
	claims := map[string]any{"iss": clientID, "aud": issuer, "jti": random(), "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(RequestObjectTTL).Unix()}
	for name := range q {
		claims[name] = q.Get(name)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.signatureAlgorithm(), Key: jose.JSONWebKey{Key: k.key, KeyID: k.KeyID}},
		(&jose.SignerOptions{}).WithType("oauth-authz-req+jwt"))
	if err != nil {
		return "", fmt.Errorf("eid: request object: %w", err)
	}
	body, _ := json.Marshal(claims)
	jws, err := signer.Sign(body)
	if err != nil {
		return "", fmt.Errorf("eid: request object: %w", err)
	}
	request, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("eid: request object: %w", err)
	}
	u.RawQuery = url.Values{"client_id": {clientID}, "response_type": q["response_type"], "scope": q["scope"], "request": {request}}.Encode()
	return u.String(), nil
}

// isEncrypted reports whether a compact token is a JWE (five parts) rather than a JWS (three).
func isEncrypted(token string) bool { return strings.Count(token, ".") == 4 }

// decrypt opens an encrypted ID token and returns the signed token inside (a nested JWT, RFC 7519
// §5.2: "cty": "JWT"). An encrypted token whose content is not a JWS is refused: its claims would be
// unsigned.
func (k *ClientKey) decrypt(token string) (string, error) {
	jwe, err := jose.ParseEncryptedCompact(token, k.keyAlgorithms(), contentEncryptions)
	if err != nil {
		return "", err
	}
	inner, err := jwe.Decrypt(k.key)
	if err != nil {
		return "", err
	}
	if strings.Count(string(inner), ".") != 2 {
		return "", errors.New("the encrypted ID token does not hold a signed token")
	}
	return string(inner), nil
}

// JWKS is the key's public half as a JSON Web Key Set (RFC 7517 §5), published for brokers that fetch
// the relying party's keys: once for signatures and once for encryption, under the same kid.
func (k *ClientKey) JWKS() jose.JSONWebKeySet {
	enc := jose.RSA_OAEP_256
	if _, ok := k.key.(*ecdsa.PrivateKey); ok {
		enc = jose.ECDH_ES
	}
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: k.key.Public(), KeyID: k.KeyID, Use: "sig", Algorithm: string(k.signatureAlgorithm())},
		{Key: k.key.Public(), KeyID: k.KeyID, Use: "enc", Algorithm: string(enc)},
	}}
}
