package com.fincloud.sample;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A small payment gateway stub: GET /healthz, GET /authorize?amount=12.50. */
public final class App {
  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/healthz", exchange -> reply(exchange, 200, "ok\n"));
    server.createContext("/authorize", exchange -> {
      String query = exchange.getRequestURI().getQuery();
      boolean ok = query != null && query.startsWith("amount=");
      reply(exchange, ok ? 200 : 400, ok ? "{\"authorized\":true}\n" : "{\"error\":\"amount\"}\n");
    });
    server.start();
  }

  private static void reply(com.sun.net.httpserver.HttpExchange exchange, int status, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
