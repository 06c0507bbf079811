#!/usr/bin/env bash
# Tests start a private RabbitMQ node from the installed package; install it when missing.
set -euo pipefail
if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-rabbitmq: installing rabbitmq-server with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
  exit 0
fi
echo "ensure-rabbitmq: RabbitMQ is not installed. Install it with: sudo apt-get install -y rabbitmq-server" >&2
exit 1
