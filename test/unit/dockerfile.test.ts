import { describe, expect, it } from 'vitest';
import { aptInstallPackages, dockerfileRelease, dockerfileStages, imageRelease } from '../../src/update/dockerfile.js';

describe('imageRelease: the release a base image is built on', () => {
  it.each([
    ['debian:bookworm', 'debian bookworm'],
    ['debian:12', 'debian bookworm'],
    ['debian:12.5', 'debian bookworm'],
    ['debian:12-slim', 'debian bookworm'],
    ['debian:bookworm-slim', 'debian bookworm'],
    ['debian:bookworm-20240110', 'debian bookworm'],
    ['debian:bookworm-20240110-slim', 'debian bookworm'],
    ['docker.io/library/debian:trixie@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'debian trixie'],
    ['debian:13', 'debian trixie'],
    ['ubuntu:24.04', 'ubuntu noble'],
    ['ubuntu:noble', 'ubuntu noble'],
    ['ubuntu:noble-20240110', 'ubuntu noble'],
    ['ubuntu:22.04', 'ubuntu jammy'],
    ['python:3.12-slim-bookworm', 'debian bookworm'],
    ['node:22-bookworm-slim', 'debian bookworm'],
    ['node:22-trixie', 'debian trixie'],
    ['buildpack-deps:bookworm', 'debian bookworm'],
    ['eclipse-temurin:21-jammy', 'ubuntu jammy'],
    ['registry.example:5000/team/python:3.12-slim-trixie', 'debian trixie'],
    // moving or unknown: nothing
    ['debian', '-'],
    ['debian:latest', '-'],
    ['debian:stable-slim', '-'],
    ['debian:99', '-'],
    ['ubuntu:99.04', '-'],
    ['ubuntu:rolling', '-'],
    ['python:3.12-slim', '-'],
    ['alpine:3.20', '-'],
    ['scratch', '-'],
  ])('%s -> %s', (image, expected) => {
    const r = imageRelease(image);
    expect(r ? `${r.distro} ${r.codename}` : '-').toBe(expected);
  });
});

describe('dockerfileRelease: FROM through ARG defaults and stage names', () => {
  it('expands an ARG that FROM uses (braces, bare, default)', () => {
    expect(dockerfileRelease('ARG BASE=debian:bookworm\nFROM ${BASE}\n')).toEqual({ distro: 'debian', codename: 'bookworm' });
    expect(dockerfileRelease('ARG CODENAME="trixie"\nFROM debian:$CODENAME-slim AS x\n')).toEqual({ distro: 'debian', codename: 'trixie' });
    expect(dockerfileRelease('ARG V\nFROM ubuntu:${V:-24.04}\n')).toEqual({ distro: 'ubuntu', codename: 'noble' });
  });

  it('a stage built FROM another stage has its release; the last stage with one wins', () => {
    const text = 'FROM --platform=$BUILDPLATFORM debian:bookworm AS base\r\nRUN true\r\nFROM base AS build\r\nFROM gcr.io/distroless/static\r\n';
    expect(dockerfileStages(text).map((s) => [s.line, s.image, s.name ?? '-', s.release ? s.release.codename : '-'])).toEqual([
      [1, 'debian:bookworm', 'base', 'bookworm'],
      [3, 'base', 'build', 'bookworm'],
      [4, 'gcr.io/distroless/static', '-', '-'],
    ]);
    expect(dockerfileRelease(text)).toEqual({ distro: 'debian', codename: 'bookworm' });
  });

  it('FROM that names nothing gives nothing', () => {
    expect(dockerfileRelease('FROM scratch\nARG SOURCE_DATE_EPOCH=1\n')).toBeUndefined();
    expect(dockerfileRelease('# FROM debian:bookworm\n')).toBeUndefined();
  });
});

describe('aptInstallPackages', () => {
  it('reads apt-get and apt install lines: continuations, options with values, versions, releases', () => {
    const text = [
      'FROM debian:bookworm',
      'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\',
      '    apt-get update && \\',
      '    # a comment inside the RUN',
      '    DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Options::=--force-confold install -y --no-install-recommends \\',
      '      gcc libc6-dev=2.36-9 curl/bookworm-backports libssl-dev:amd64 "$EXTRA" ./local.deb && \\',
      '    rm -rf /var/lib/apt/lists/*',
      'RUN apt install -t bookworm-backports -y jq; apt-get remove -y nano',
      'run apt-get -y install gcc make',
      'RUN echo apt-get install nothing-here-is-a-package | tee /dev/null',
      '',
    ].join('\n');
    expect(aptInstallPackages(text)).toEqual(['gcc', 'libc6-dev', 'curl', 'libssl-dev', 'jq', 'make']);
  });

  it('nothing without install lines', () => {
    expect(aptInstallPackages('FROM debian:bookworm\nRUN apt-get update\n')).toEqual([]);
  });
});
