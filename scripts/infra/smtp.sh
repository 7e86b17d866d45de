# smtp: MailDev, the SMTP catcher notification-service sends to (Mailpit in compose).

: "${SMTP_PORT:=1025}" "${SMTP_UI_PORT:=8025}"
: "${MAILDEV_BIN:=$ROOT/node_modules/.bin/maildev}" # installed by the root package.json

smtp_pid() {
  local pid
  pid="$(read_pid "$RUN/smtp.pid")"
  alive "$pid" maildev && printf '%s\n' "$pid"
}
smtp_ports() { echo "$SMTP_PORT $SMTP_UI_PORT"; }
smtp_describe() { echo "$HOST:$SMTP_PORT, web UI http://$HOST:$SMTP_UI_PORT"; }

smtp_installed() { [[ -x $MAILDEV_BIN ]]; }
smtp_packages() { :; }
# Not an apt package but a devDependency of the root package.json.
smtp_install() {
  smtp_installed || warn "smtp: MailDev not found at ${MAILDEV_BIN} — run 'npm install' at the repo root first"
}

smtp_launch() {
  local pid
  smtp_installed || die "smtp: MailDev not found at ${MAILDEV_BIN} — run 'npm install' at the repo root first"
  # An empty mail store at every start, like the compose file's Mailpit without a volume.
  rm -rf "$DATA/maildev"
  mkdir -p "$DATA/maildev"
  pid="$(detach smtp "$MAILDEV_BIN" --smtp "$SMTP_PORT" --web "$SMTP_UI_PORT" \
    --ip "$HOST" --mail-directory "$DATA/maildev")"
  printf '%s\n' "$pid" >"$RUN/smtp.pid"
}

smtp_wait() {
  wait_until smtp "$LOGS/smtp.log" "$(read_pid "$RUN/smtp.pid")" maildev ports_open "$SMTP_PORT" "$SMTP_UI_PORT"
}

smtp_stop() {
  local pid
  pid="$(smtp_pid)" || return 0
  terminate "$pid" maildev 10
  rm -f "$RUN/smtp.pid"
}

smtp_env() {
  printf 'export SMTP_HOST=%s\nexport SMTP_PORT=%s\nexport SMTP_UI_PORT=%s\n' "$HOST" "$SMTP_PORT" "$SMTP_UI_PORT"
  printf 'export SMTP_UI_URL=%q\n' "http://$HOST:$SMTP_UI_PORT"
}
