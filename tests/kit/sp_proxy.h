/*
 * sp_proxy.h - a small TCP proxy owned by a test, for real network
 * partitions: it listens on 127.0.0.1 (a port of the kernel's choosing)
 * and forwards every connection, byte for byte in both directions, to one
 * target address. While "cut", it drops every connection it carries and
 * closes each new one as soon as it is accepted, so peers that dial the
 * target through it lose the link for real (test_partition).
 *
 * One thread per proxy, poll() over the listener and the connections.
 */
#ifndef SP_PROXY_H
#define SP_PROXY_H

struct sp_proxy;

/* sp_proxy_start starts a proxy to 127.0.0.1:target_port. Returns 0 and
 * the proxy in *out (free it with sp_proxy_free), or a negative sp_err
 * code. */
int sp_proxy_start(unsigned target_port, struct sp_proxy **out);

/* sp_proxy_port: the port the proxy listens on. */
unsigned sp_proxy_port(const struct sp_proxy *p);

/* sp_proxy_cut(p, 1) drops every connection and refuses new ones until
 * sp_proxy_cut(p, 0). It returns once the proxy thread has done it. */
void sp_proxy_cut(struct sp_proxy *p, int cut);

/* sp_proxy_count: connections accepted and forwarded so far (a test can
 * check that its nodes really dial through the proxy). */
unsigned long sp_proxy_count(struct sp_proxy *p);

/* sp_proxy_free stops the thread, closes everything and frees p (NULL ok). */
void sp_proxy_free(struct sp_proxy *p);

#endif
