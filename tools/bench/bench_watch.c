/*
 * bench_watch.c - simpul-watch: follows how many entries of one log a node
 * holds, from its /metrics, until it holds a given number, for
 * tools/bench/bench_peer.sh.
 *
 * One process with one kept-alive HTTP connection: a poll costs some
 * 100 us of CPU, where a shell loop of curl, sed and date cost ~44 ms
 * per sample on the 2-vCPU test machine (11 % of its CPU at 5 samples a
 * second), taken from the very nodes being measured.
 *
 * Usage: simpul-watch ADDR ORIGIN N [INTERVAL_MS]
 *   ADDR: host:port of the node's HTTP API; ORIGIN: the log's origin
 *   ("simpul.local/73.12"); N: stop once the node holds at least N.
 * Prints one line, times in seconds since the epoch (as `date +%s.%N`):
 *   T1 S1 T2 S2 END
 * the first sample with entries (T1, S1), the last one before the end
 * (T2, S2) and the time of the sample at N (END). Exits 1 after 600 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "sp_cbor.h" /* struct sp_buf */

#define WATCH_LIMIT_S 600.0

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sp_buf *b = arg;
	sp_buf_put(b, p, size * n);
	return b->err ? 0 : size * n;
}

/* entries finds `simpul_log_entries{origin="ORIGIN"...} VALUE` in a
 * metrics text (NUL-terminated); 0 when the log is not listed yet. */
static unsigned long long entries(const char *text, const char *origin)
{
	char key[512];
	snprintf(key, sizeof(key), "simpul_log_entries{origin=\"%s\"", origin);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, strlen(key)) != 0)
			continue;
		const char *v = strchr(l, '}');
		return v ? strtoull(v + 1, NULL, 10) : 0;
	}
	return 0;
}

/* sample reads the node's count now; -1 if the request failed. */
static long long sample(CURL *c, struct sp_buf *b, const char *origin)
{
	b->len = 0;
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	sp_buf_put(b, "", 1);
	return b->err ? -1 : (long long)entries((const char *)b->p, origin);
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: simpul-watch ADDR ORIGIN N [INTERVAL_MS]\n");
		return 2;
	}
	char url[512];
	snprintf(url, sizeof(url), "http://%s/metrics", argv[1]);
	long long n = atoll(argv[3]);
	long ms = argc == 5 ? atol(argv[4]) : 200;
	struct timespec gap = {ms / 1000, (ms % 1000) * 1000000L};
	struct sp_buf b;
	sp_buf_init(&b);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return 1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	double t0 = now_s(), t1 = 0, t2 = 0, t = t0;
	long long s1 = 0, s2 = 0, s = 0;
	while ((s = sample(c, &b, argv[2])) < n) {
		t = now_s();
		if (s > 0) {
			if (s1 == 0)
				t1 = t, s1 = s;
			t2 = t, s2 = s;
		}
		if (t - t0 > WATCH_LIMIT_S)
			break;
		nanosleep(&gap, NULL);
	}
	t = now_s();
	curl_easy_cleanup(c);
	curl_global_cleanup();
	sp_buf_free(&b);
	if (s < n) {
		fprintf(stderr, "simpul-watch: %lld of %lld entries after %.0f s\n", s, n, t - t0);
		return 1;
	}
	printf("%.6f %lld %.6f %lld %.6f\n", t1, s1, t2, s2, t);
	return 0;
}
