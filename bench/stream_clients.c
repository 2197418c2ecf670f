// Many Server-Sent Events readers of GET /v1/buy_orders/stream in one process and one thread (epoll),
// for bench/stream_fanout.sh. For every buy_order event it takes the latency from the order's
// created_at to its arrival (same machine, same clock) and checks that each stream's positions grow.
//
//   stream_clients PORT KEYS_FILE STREAMS_PER_KEY READY_FILE
//     KEYS_FILE: one "CLIENT KEY" per line. Writes READY_FILE once every stream got its first block,
//     then reads until SIGTERM or SIGINT and prints a summary: per client the fewest and most orders
//     a stream of it got, the latency percentiles over every event, and what went wrong.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS 64
#define BUCKETS 100000 // 0.1 ms each: up to 10 s

typedef struct {
  int fd, key;
  int head_done, opened, ended;
  // chunked decoding: bytes of the current chunk still to read, or -1 while reading a size line
  long chunk_left;
  char line[8192]; // the SSE line being assembled, or the chunk-size line
  size_t line_len;
  char size_line[64];
  size_t size_len;
  int crlf_left; // the CRLF after a chunk's data
  char head[8192];
  size_t head_len;
  unsigned long long last_xid, last_seq;
  long orders;
  long out_of_order;
} Stream;

static volatile sig_atomic_t stopping = 0;
static void on_signal(int signal) { (void)signal; stopping = 1; }

static char clients[MAX_KEYS][80], keys[MAX_KEYS][200];
static int key_count;
static long histogram[BUCKETS + 1];
static long latency_count, unparsed;

static long long now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

// Reads exactly `count` decimal digits at `text`, or -1.
static long digits(const char *text, int count) {
  long value = 0;
  for (int i = 0; i < count; i++) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "2026-11-23T21:41:02.823904Z" -> microseconds since the epoch, or -1. By hand, and the day's start
// cached: a hundred thousand events a second must not cost this process (on the cores the servers
// share) more than reading them.
static long long parse_time(const char *text) {
  static char cached_day[11];
  static long long cached_day_us = -1;
  if (strlen(text) < 27 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != '.' || text[26] != 'Z')
    return -1;
  if (cached_day_us < 0 || memcmp(cached_day, text, 10) != 0) {
    struct tm tm = {0};
    tm.tm_year = (int)digits(text, 4) - 1900;
    tm.tm_mon = (int)digits(text + 5, 2) - 1;
    tm.tm_mday = (int)digits(text + 8, 2);
    if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 0) return -1;
    cached_day_us = (long long)timegm(&tm) * 1000000;
    memcpy(cached_day, text, 10);
  }
  long hour = digits(text + 11, 2), minute = digits(text + 14, 2), second = digits(text + 17, 2),
       micro = digits(text + 20, 6);
  if (hour < 0 || minute < 0 || second < 0 || micro < 0) return -1;
  return cached_day_us + ((hour * 60 + minute) * 60 + second) * 1000000LL + micro;
}

static void on_line(Stream *s, char *line, size_t length) {
  line[length] = 0;
  if (length > 0 && line[length - 1] == '\r') line[--length] = 0;
  if (length == 0) {
    s->opened = 1;
    return;
  }
  if (strncmp(line, "id: ", 4) == 0) {
    unsigned long long xid, seq;
    if (sscanf(line + 4, "%llu-%llu", &xid, &seq) == 2) {
      // Each position is after the one before (a repeat or a step back would be counted).
      if (s->orders > 0 && (xid < s->last_xid || (xid == s->last_xid && seq <= s->last_seq))) s->out_of_order++;
      s->last_xid = xid;
      s->last_seq = seq;
    }
  } else if (strncmp(line, "data: ", 6) == 0) {
    const char *created = strstr(line, "\"created_at\":\"");
    long long at = created ? parse_time(created + 14) : -1;
    s->orders++;
    if (at < 0) {
      unparsed++;
      return;
    }
    long long bucket = (now_us() - at) / 100;
    if (bucket < 0) bucket = 0;
    if (bucket > BUCKETS) bucket = BUCKETS;
    histogram[bucket]++;
    latency_count++;
  }
}

// Feeds decoded body bytes into SSE lines.
static void on_body(Stream *s, const char *data, size_t length) {
  while (length > 0) {
    const char *newline = memchr(data, '\n', length);
    size_t part = newline ? (size_t)(newline - data) : length;
    size_t room = sizeof s->line - 1 - s->line_len;
    memcpy(s->line + s->line_len, data, part < room ? part : room);
    s->line_len += part < room ? part : room;
    if (!newline) return;
    on_line(s, s->line, s->line_len);
    s->line_len = 0;
    data = newline + 1;
    length -= part + 1;
  }
}

static void on_bytes(Stream *s, const char *data, size_t length) {
  size_t i = 0;
  while (!s->head_done && i < length) {
    if (s->head_len < sizeof s->head - 1) s->head[s->head_len++] = data[i];
    i++;
    if (s->head_len >= 4 && memcmp(s->head + s->head_len - 4, "\r\n\r\n", 4) == 0) {
      s->head[s->head_len] = 0;
      if (strncmp(s->head, "HTTP/1.1 200", 12) != 0) {
        fprintf(stderr, "stream refused: %.60s\n", s->head);
        s->ended = 1;
        return;
      }
      s->head_done = 1;
      s->chunk_left = -1;
    }
  }
  while (i < length && !s->ended) {
    if (s->crlf_left > 0) {
      s->crlf_left--;
      i++;
    } else if (s->chunk_left < 0) {
      char c = data[i++];
      if (c == '\n') {
        s->size_line[s->size_len] = 0;
        long size = strtol(s->size_line, NULL, 16);
        s->size_len = 0;
        if (size == 0) {
          s->ended = 1;
          return;
        }
        s->chunk_left = size;
      } else if (c != '\r' && s->size_len < sizeof s->size_line - 1) {
        s->size_line[s->size_len++] = c;
      }
    } else {
      size_t take = length - i < (size_t)s->chunk_left ? length - i : (size_t)s->chunk_left;
      on_body(s, data + i, take);
      i += take;
      s->chunk_left -= (long)take;
      if (s->chunk_left == 0) {
        s->chunk_left = -1;
        s->crlf_left = 2;
      }
    }
  }
}

static int connect_stream(int port, const char *key) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    close(fd);
    return -1;
  }
  char request[512];
  int n = snprintf(request, sizeof request,
                   "GET /v1/buy_orders/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                   "Authorization: Bearer %s\r\n\r\n",
                   key);
  if (write(fd, request, (size_t)n) != n) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static double percentile(double p) {
  long target = (long)(p * (double)latency_count), seen = 0;
  for (int b = 0; b <= BUCKETS; b++) {
    seen += histogram[b];
    if (seen > target) return b / 10.0;
  }
  return BUCKETS / 10.0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s PORT KEYS_FILE STREAMS_PER_KEY READY_FILE\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]), per_key = atoi(argv[3]);
  FILE *file = fopen(argv[2], "r");
  if (!file) return 2;
  while (key_count < MAX_KEYS && fscanf(file, "%79s %199s", clients[key_count], keys[key_count]) == 2) key_count++;
  fclose(file);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  int total = key_count * per_key, epoll = epoll_create1(0);
  Stream *streams = calloc((size_t)total, sizeof(Stream));
  for (int i = 0; i < total; i++) {
    streams[i].key = i % key_count;
    streams[i].fd = connect_stream(port, keys[streams[i].key]);
    if (streams[i].fd < 0) {
      fprintf(stderr, "connect failed: %s\n", strerror(errno));
      return 1;
    }
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &streams[i]};
    epoll_ctl(epoll, EPOLL_CTL_ADD, streams[i].fd, &event);
  }
  int ready_written = 0, ended = 0;
  char buffer[65536];
  struct epoll_event events[256];
  while (!stopping) {
    int n = epoll_wait(epoll, events, 256, 100);
    for (int e = 0; e < n; e++) {
      Stream *s = events[e].data.ptr;
      while (1) {
        ssize_t got = read(s->fd, buffer, sizeof buffer);
        if (got > 0) {
          on_bytes(s, buffer, (size_t)got);
          // Less than the buffer: the socket is empty (level-triggered epoll tells again otherwise),
          // and one read fewer per event is a system call fewer on the cores the servers share.
          if ((size_t)got < sizeof buffer) break;
          continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          s->ended = 1;
          epoll_ctl(epoll, EPOLL_CTL_DEL, s->fd, NULL);
          close(s->fd);
          ended++;
        }
        break;
      }
    }
    if (!ready_written) {
      int opened = 0;
      for (int i = 0; i < total; i++) opened += streams[i].opened;
      if (opened == total) {
        FILE *ready = fopen(argv[4], "w");
        if (ready) fclose(ready);
        ready_written = 1;
      }
    }
  }
  long out_of_order = 0;
  for (int i = 0; i < total; i++) out_of_order += streams[i].out_of_order;
  printf("streams %d ended_early %d out_of_order %ld unparsed %ld events %ld\n", total, ended, out_of_order, unparsed,
         latency_count);
  for (int k = 0; k < key_count; k++) {
    long least = -1, most = 0;
    for (int i = k; i < total; i += key_count) {
      if (least < 0 || streams[i].orders < least) least = streams[i].orders;
      if (streams[i].orders > most) most = streams[i].orders;
    }
    printf("client %s streams %d fewest %ld most %ld\n", clients[k], per_key, least, most);
  }
  printf("latency_ms p50 %.1f p90 %.1f p99 %.1f p999 %.1f max %.1f\n", percentile(0.5), percentile(0.9),
         percentile(0.99), percentile(0.999), percentile(1.0 - 1e-12));
  return 0;
}
