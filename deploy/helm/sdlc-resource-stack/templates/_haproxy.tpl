{{/*
haproxy.cfg for the Sentinel mode: clients connect to one address and are sent to whichever
listed node answers `role:master` to INFO replication. After a failover the demoted master fails
its check and its client connections are cut (on-marked-down shutdown-sessions), so the
service's client reconnects, to the new master.
*/}}
{{- define "sdlc-resource-stack.haproxyConfig" -}}
{{- $haproxy := .Values.redis.sentinel.haproxy -}}
{{- $auth := .Values.redis.auth -}}
global
  log stdout format raw local0 warning
  maxconn 4096

defaults
  mode tcp
  log global
  option tcplog
  timeout connect {{ $haproxy.timeouts.connect }}
  timeout check {{ $haproxy.timeouts.check }}
  timeout client {{ $haproxy.timeouts.client }}
  timeout server {{ $haproxy.timeouts.server }}

# Pod IPs change when a Redis pod is rescheduled: node names are resolved again at run time.
resolvers cluster
  parse-resolv-conf
  hold valid 5s

frontend monitor
  mode http
  bind :{{ $haproxy.monitorPort }}
  monitor-uri /healthz
  monitor fail if { nbsrv(redis_master) lt 1 }
  http-request use-service prometheus-exporter if { path /metrics }

frontend redis
  bind :{{ $haproxy.port }}
  default_backend redis_master

backend redis_master
  # One request, then QUIT: Redis closes the connection after answering, so a node that is not
  # master fails its check at once instead of when `timeout check` runs out.
  option tcp-check
  tcp-check connect
  {{- if not $auth.existingSecret }}
  tcp-check send "INFO replication\r\nQUIT\r\n"
  {{- else if $auth.username }}
  tcp-check send "AUTH {{ $auth.username }} ${REDIS_PASSWORD}\r\nINFO replication\r\nQUIT\r\n"
  {{- else }}
  tcp-check send "AUTH ${REDIS_PASSWORD}\r\nINFO replication\r\nQUIT\r\n"
  {{- end }}
  tcp-check expect string role:master
  default-server check inter {{ $haproxy.checkInterval }} fall {{ $haproxy.fall }} rise {{ $haproxy.rise }} resolvers cluster init-addr last,libc,none on-marked-down shutdown-sessions
{{- range $index, $node := .Values.redis.sentinel.nodes }}
  server node{{ $index }} {{ $node }}
{{- end }}
{{- end }}
