/*
 * A tiny static file server: the stand-in for an nginx runtime image in the
 * buildah test and benchmark (no registry here, so no nginx image). Serves
 * GET requests for files under the root given as argv[1] on port argv[2].
 * Built with `gcc -static -Os -s` into an otherwise empty image.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void reply(int fd, const char *status, const char *body, long len) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.0 %s\r\nContent-Length: %ld\r\nConnection: close\r\n\r\n",
                   status, len);
  write(fd, head, n);
  if (body && len > 0) write(fd, body, len);
}

int main(int argc, char **argv) {
  const char *root = argc > 1 ? argv[1] : "/usr/share/nginx/html";
  int port = argc > 2 ? atoi(argv[2]) : 8080;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) || listen(s, 16)) {
    perror("listen");
    return 1;
  }
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    char req[2048] = {0}, path[1024], file[1400];
    read(c, req, sizeof req - 1);
    if (sscanf(req, "GET %1023s", path) != 1 || strstr(path, "..")) {
      reply(c, "400 Bad Request", 0, 0);
    } else {
      snprintf(file, sizeof file, "%s%s", root, strcmp(path, "/") ? path : "/index.html");
      FILE *f = fopen(file, "rb");
      if (!f) {
        reply(c, "404 Not Found", 0, 0);
      } else {
        static char buf[1 << 20];
        long len = (long)fread(buf, 1, sizeof buf, f);
        fclose(f);
        reply(c, "200 OK", buf, len);
      }
    }
    close(c);
  }
}
