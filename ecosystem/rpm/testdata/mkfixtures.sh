#!/bin/sh
# Rebuilds the rpm database fixtures in this directory from the spec files
# below. Needs Debian's rpm (rpmbuild, rpmsign, rpm with the sqlite
# backend), gnupg and db5.3-util:
#
#	apt-get install -y rpm gnupg db5.3-util
#	sh testdata/mkfixtures.sh          # from ecosystem/rpm
#
# rpm.sqlite is written by rpm itself. Debian's rpm can read but not write
# Berkeley DB and cannot handle NDB at all, so the other formats are made
# from the same headers: Packages.bdb and Packages-be.bdb by Berkeley DB's
# own db_load (little- and big-endian), from a dump that TestWriteFixtures
# prepares, and Packages.ndb by TestWriteFixtures, following rpm's
# lib/backend/ndb/rpmpkg.c layout. rpm -qa reads the Berkeley DB ones back
# (bdb_ro) to check them; the big-endian one has 16 KiB pages, so that its
# headers sit in the hash pages rather than in overflow pages.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GNUPGHOME="$work/gnupg" SOURCE_DATE_EPOCH=1704067200
mkdir -m 700 "$GNUPGHOME"
top="$work/rpmbuild"
mkdir -p "$top/SPECS"

cat >"$top/SPECS/loupe-hello.spec" <<'SPEC'
Name: loupe-hello
Version: 1.0
Release: 1
Summary: Loupe test fixture
License: Apache-2.0
BuildArch: noarch
%description
A package with no epoch, built from a source rpm of its own name.
%install
mkdir -p %{buildroot}/usr/share/loupe-hello
echo hello >%{buildroot}/usr/share/loupe-hello/hello.txt
%files
/usr/share/loupe-hello/hello.txt
SPEC

cat >"$top/SPECS/loupe-tools.spec" <<'SPEC'
Name: loupe-tools
Epoch: 2
Version: 3.1~rc1
Release: 4.lp1
Summary: Loupe test fixture
License: Apache-2.0
%description
A package with an epoch and a tilde, and a subpackage of another name.
%package -n libloupe
Summary: Loupe test fixture library
%description -n libloupe
A binary package whose source rpm has another name.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib
echo tools >%{buildroot}/usr/bin/loupe-tools
echo lib >%{buildroot}/usr/lib/libloupe.txt
%files
/usr/bin/loupe-tools
%files -n libloupe
/usr/lib/libloupe.txt
SPEC

cat >"$top/SPECS/loupe-nodejs.spec" <<'SPEC'
Name: loupe-nodejs
Version: 18.19.0
Release: 1.module+el8.9.0+20473+c4e3d824
Summary: Loupe test fixture
License: Apache-2.0
BuildArch: noarch
%description
A package of a module stream.
%install
mkdir -p %{buildroot}/usr/share/loupe-nodejs
echo node >%{buildroot}/usr/share/loupe-nodejs/node.txt
%files
/usr/share/loupe-nodejs/node.txt
SPEC

build() {
	rpmbuild --quiet --define "_topdir $top" --define "_build_id_links none" "$@"
}
build -bb --target x86_64 "$top/SPECS/loupe-tools.spec"
build -bb "$top/SPECS/loupe-hello.spec"
build -bb --define "modularitylabel loupe-nodejs:18:8090020231019152822:a75119d5" "$top/SPECS/loupe-nodejs.spec"

# Sign loupe-hello with a throwaway key, and import the key, so that the
# database has a signature to read a key ID from and a gpg-pubkey entry.
gpg --batch --quiet --passphrase '' --quick-gen-key 'Loupe Fixture <fixture@loupe.invalid>' rsa2048 sign never
gpg --batch --armor --export fixture@loupe.invalid >"$work/key.asc"
rpmsign --addsign --define '__gpg /usr/bin/gpg' --define '_gpg_name fixture@loupe.invalid' "$top"/RPMS/noarch/loupe-hello-*.rpm >/dev/null
gpg --batch --list-keys --with-colons fixture@loupe.invalid | awk -F: '$1=="pub"{print tolower($5)}' >"$here/fixture-keyid.txt"

db="$work/db"
mkdir -p "$db"
rpm --dbpath "$db" --initdb
rpm --dbpath "$db" --import "$work/key.asc"
rpm --dbpath "$db" -i --justdb --nodeps --ignorearch --ignoreos "$top"/RPMS/*/*.rpm
rpm --dbpath "$db" -qa --qf '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM} %{MODULARITYLABEL}\n' | sort >"$here/fixture-rpm-qa.txt"
# A copy without the WAL: rpm checkpointed it on close.
cp "$db/rpmdb.sqlite" "$here/rpm.sqlite"

(cd "$here/.." && go test -count=1 -run TestWriteFixtures -write-fixtures . >/dev/null)
db5.3_load -f "$here/Packages.dump" -t hash -c db_lorder=1234 "$work/Packages.le"
db5.3_load -f "$here/Packages.dump" -t hash -c db_lorder=4321 -c db_pagesize=16384 "$work/Packages.be"
rm "$here/Packages.dump"
cp "$work/Packages.le" "$here/Packages.bdb"
cp "$work/Packages.be" "$here/Packages-be.bdb"
for f in Packages.le Packages.be; do
	mkdir -p "$work/bdb-$f"
	cp "$work/$f" "$work/bdb-$f/Packages"
	rpm --dbpath "$work/bdb-$f" -qa --qf '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM} %{MODULARITYLABEL}\n' 2>/dev/null | sort >"$work/bdb-$f.txt"
	cmp "$work/bdb-$f.txt" "$here/fixture-rpm-qa.txt"
done
echo "rpm reads both Berkeley DB fixtures back as it wrote the sqlite one"
