package mail_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is a minimal SMTP server on 127.0.0.1 for the tests: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT,
// DATA, RSET, NOOP, QUIT. It records what it accepted; script decides replies.
type fakeSMTP struct {
	addr string
	// offerStartTLS advertises STARTTLS; implicitTLS speaks TLS from the first byte.
	offerStartTLS, implicitTLS bool
	tlsConfig                  *tls.Config
	// script returns the reply to a command ("MAIL", "RCPT", "DATA" for the end of the data, "AUTH"), given
	// how many times that command came before; "" means success.
	script func(cmd string, n int) string
	// dataDelay holds the reply to the end of the data back, like a slow server.
	dataDelay time.Duration

	mu        sync.Mutex
	counts    map[string]int
	delivered []delivery
	auths     []authSeen
}

// delivery is one message the server accepted.
type delivery struct {
	From string
	To   []string
	Wire string // the data as it crossed the wire, dot-stuffed
	Data string // the data with dot-stuffing undone: the message
	TLS  bool
}

type authSeen struct {
	Plain string // the decoded PLAIN response: authzid NUL user NUL password
	TLS   bool
}

// messageID returns the delivery's Message-ID header.
func (d delivery) messageID(t *testing.T) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(d.Data))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v", err)
	}
	return m.Header.Get("Message-ID")
}

// start listens on a free port and serves until the test ends.
func (f *fakeSMTP) start(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if f.implicitTLS {
		ln = tls.NewListener(ln, f.tlsConfig)
	}
	f.addr = ln.Addr().String()
	f.counts = map[string]int{}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { f.serve(c) })
		}
	})
	return f
}

func (f *fakeSMTP) deliveries() []delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]delivery(nil), f.delivered...)
}

func (f *fakeSMTP) authsSeen() []authSeen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]authSeen(nil), f.auths...)
}

func (f *fakeSMTP) reply(cmd string) string {
	f.mu.Lock()
	n := f.counts[cmd]
	f.counts[cmd]++
	f.mu.Unlock()
	if f.script != nil {
		return f.script(cmd, n)
	}
	return ""
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer func() { c.Close() }()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	_, isTLS := c.(*tls.Conn)
	r := bufio.NewReader(c)
	send := func(s string) bool { _, err := c.Write([]byte(s + "\r\n")); return err == nil }
	or := func(scripted, def string) string {
		if scripted != "" {
			return scripted
		}
		return def
	}
	if !send("220 fake.test ESMTP") {
		return
	}
	var cur *delivery
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"fake.test"}
			if f.offerStartTLS && !isTLS {
				ext = append(ext, "STARTTLS")
			}
			if isTLS {
				ext = append(ext, "AUTH PLAIN")
			}
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				send("250" + sep + e)
			}
		case "STARTTLS":
			if !f.offerStartTLS || isTLS {
				send("502 5.5.1 not offered")
				continue
			}
			send("220 2.0.0 go ahead")
			tc := tls.Server(c, f.tlsConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, isTLS, r, cur = tc, true, bufio.NewReader(tc), nil
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			dec, err := base64.StdEncoding.DecodeString(resp)
			if strings.ToUpper(mech) != "PLAIN" || err != nil {
				send("504 5.5.4 unsupported")
				continue
			}
			f.mu.Lock()
			f.auths = append(f.auths, authSeen{Plain: string(dec), TLS: isTLS})
			f.mu.Unlock()
			send(or(f.reply("AUTH"), "235 2.7.0 ok"))
		case "MAIL":
			rep := or(f.reply("MAIL"), "250 2.1.0 ok")
			if strings.HasPrefix(rep, "250") {
				cur = &delivery{From: angle(arg), TLS: isTLS}
			}
			send(rep)
		case "RCPT":
			if cur == nil {
				send("503 5.5.1 MAIL first")
				continue
			}
			rep := or(f.reply("RCPT"), "250 2.1.5 ok")
			if strings.HasPrefix(rep, "250") {
				cur.To = append(cur.To, angle(arg))
			}
			send(rep)
		case "DATA":
			if cur == nil || len(cur.To) == 0 {
				send("503 5.5.1 RCPT first")
				continue
			}
			send("354 end with <CRLF>.<CRLF>")
			var wire, data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				wire.WriteString(l)
				data.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing (RFC 5321 4.5.2)
			}
			time.Sleep(f.dataDelay)
			rep := or(f.reply("DATA"), "250 2.0.0 queued")
			if strings.HasPrefix(rep, "250") {
				cur.Wire, cur.Data = wire.String(), data.String()
				f.mu.Lock()
				f.delivered = append(f.delivered, *cur)
				f.mu.Unlock()
			}
			cur = nil
			if !send(rep) {
				return
			}
		case "RSET":
			cur = nil
			send("250 2.0.0 ok")
		case "NOOP":
			send("250 2.0.0 ok")
		case "QUIT":
			send("221 2.0.0 bye")
			return
		default:
			send("500 5.5.2 unknown command")
		}
	}
}

// angle returns the address in "FROM:<a@b> BODY=8BITMIME".
func angle(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// selfSigned returns a server configuration with a fresh certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fake smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
