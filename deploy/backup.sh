#!/bin/sh
# Back up Linli's PostgreSQL database: one pg_dump (custom format) per run, the newest KEEP kept.
#
#     LINLI_DATABASE_URL=postgresql+psycopg://linli:PASSWORD@127.0.0.1:5432/linli \
#         deploy/backup.sh /var/backups/linli 14
#
# Restore one with pg_restore (deploy/README.md, "Backups"). The password is handed to pg_dump
# in PGPASSWORD, not on its command line, where other users could read it.
set -eu
url=${LINLI_DATABASE_URL:?LINLI_DATABASE_URL is not set}
dir=${1:-/var/backups/linli}
keep=${2:-14}
case $url in
    postgresql+*://* | postgresql://* | postgres://*) ;;
    *) echo "backup.sh: LINLI_DATABASE_URL is not PostgreSQL: $url" >&2; exit 2 ;;
esac
url="postgresql://${url#*://}"  # libpq's spelling, without SQLAlchemy's +driver
password=$(printf '%s' "$url" | sed -n 's|^postgresql://[^:@/]*:\([^@]*\)@.*|\1|p')
if [ -n "$password" ]; then
    export PGPASSWORD="$password"
    url=$(printf '%s' "$url" | sed 's|^\(postgresql://[^:@/]*\):[^@]*@|\1@|')
fi
mkdir -p "$dir"
file="$dir/linli-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --file="$file.part" --dbname="$url"
mv "$file.part" "$file"
# shellcheck disable=SC2012  # our own file names: no spaces or newlines
ls -1t "$dir"/linli-*.dump | tail -n +"$((keep + 1))" | xargs -r rm --
echo "$file"
