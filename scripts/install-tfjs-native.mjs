#!/usr/bin/env node
// Leaves a loadable @tensorflow/tfjs-node behind `npm install` / `npm ci`.
//
// tfjs-node's own install script downloads libtensorflow from Google's storage,
// which many machines (ours included) cannot reach, so package.json denies that
// script and this one runs instead:
//   1. if tfjs-node already loads, stop (a second install never rebuilds);
//   2. try tfjs-node's own installer (works wherever the download works);
//   3. otherwise take the TensorFlow C library from the `tensorflow-cpu` wheel
//      (pip), and build tfjs-node's addon against it. The library and each built
//      addon are cached outside node_modules, so `npm ci` after `npm ci` reuses them.
// Then it builds the graph-training addon (native/graph) against the same library that
// tfjs-node's addon links: no second copy of TensorFlow, nothing downloaded.
// The README's set-up section describes the recipe and its cache.
//
// Environment:
//   MODELYARD_SKIP_NATIVE=1            do nothing (the service then runs on wasm or cpu)
//   MODELYARD_REQUIRE_BACKEND=tensorflow  exit non-zero unless tfjs-node and the graph addon load at the end
//   MODELYARD_TF_WHEEL                 pip requirement to take the library from
//                                      (default tensorflow-cpu==2.21.0); when set, tfjs-node's
//                                      own download (libtensorflow 2.9.1, CPU) is not tried
//   MODELYARD_NATIVE_CACHE             cache folder (default ~/.cache/modelyard/native)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, lstatSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(projectRoot, 'package.json'));
const wheel = process.env.MODELYARD_TF_WHEEL ?? 'tensorflow-cpu==2.21.0';
const cacheRoot = process.env.MODELYARD_NATIVE_CACHE ?? join(homedir(), '.cache', 'modelyard', 'native');
const required = process.env.MODELYARD_REQUIRE_BACKEND === 'tensorflow';

function log(message) {
  console.log(`[tfjs-native] ${message}`);
}

function run(command, args, options = {}) {
  log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} exited with ${result.status ?? result.signal}`);
}

// In a child process: a failed dlopen must not poison this one, and require's cache must be fresh.
function tfjsNodeLoads() {
  const probe = "const tf = require('@tensorflow/tfjs-node'); console.log(tf.version['tfjs-node'], tf.backend().binding.TF_Version)";
  const result = spawnSync(process.execPath, ['-e', probe], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  if (result.status === 0) log(`tfjs-node ${result.stdout.trim().replace(' ', ' on TensorFlow ')} loads`);
  return result.status === 0;
}

function finish(ok, why) {
  if (ok) {
    const graph = installGraphAddon();
    if (graph.ok) process.exit(0);
    const message = `the graph-training addon does not load: ${graph.why}. Training falls back to the eager engine.`;
    if (required) {
      console.error(`[tfjs-native] ${message} MODELYARD_REQUIRE_BACKEND=tensorflow, so the install fails.`);
      process.exit(1);
    }
    console.warn(`[tfjs-native] warning: ${message}`);
    process.exit(0);
  }
  const message = `tfjs-node does not load: ${why}. The service will fall back to the wasm or cpu backend.`;
  if (required) {
    console.error(`[tfjs-native] ${message} MODELYARD_REQUIRE_BACKEND=tensorflow, so the install fails.`);
    process.exit(1);
  }
  console.warn(`[tfjs-native] warning: ${message}`);
  process.exit(0);
}

function tryOfficialInstaller(packageDir) {
  const result = spawnSync(process.execPath, ['scripts/install.js'], { cwd: packageDir, encoding: 'utf8', timeout: 180_000 });
  if (result.status === 0 && tfjsNodeLoads()) return true;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const reason = output.match(/^\w*Error: .*$/m)?.[0] ?? result.error?.message ?? `exit ${result.status ?? result.signal}`;
  log(`tfjs-node's own installer did not work here (${reason})`);
  return false;
}

// The wheel's C++ library exports the whole C API; only its headers and two libraries are needed.
function extractLibraryFromWheel(depsDir) {
  const work = mkdtempSync(join(tmpdir(), 'modelyard-tf-wheel-'));
  try {
    run('python3', ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--dest', work, wheel]);
    const wheelFile = readdirSync(work).find((name) => name.endsWith('.whl'));
    if (!wheelFile) throw new Error(`pip downloaded no wheel for ${wheel}`);
    const staging = `${depsDir}.partial`;
    rmSync(staging, { recursive: true, force: true });
    const extract = `
import os, shutil, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
include_roots = ('tensorflow/c/', 'tensorflow/core/platform/', 'tsl/', 'xla/tsl/')
libraries = {'tensorflow/libtensorflow_cc.so.2': 'libtensorflow.so.2',
             'tensorflow/libtensorflow_framework.so.2': 'libtensorflow_framework.so.2'}
os.makedirs(os.path.join(out, 'lib'))
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if name in libraries:
            target = os.path.join(out, 'lib', libraries[name])
        elif name.startswith('tensorflow/include/') and name[len('tensorflow/include/'):].startswith(include_roots):
            target = os.path.join(out, 'include', name[len('tensorflow/include/'):])
        else:
            continue
        if name.endswith('/'):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
missing = [n for n in libraries.values() if not os.path.exists(os.path.join(out, 'lib', n))]
if missing:
    sys.exit('wheel lacks ' + ', '.join(missing))
`;
    run('python3', ['-c', extract, join(work, wheelFile), staging]);
    const lib = join(staging, 'lib');
    // The C++ library's SONAME is libtensorflow_cc.so.2: the loader looks for that name too.
    symlinkSync('libtensorflow.so.2', join(lib, 'libtensorflow.so'));
    symlinkSync('libtensorflow.so.2', join(lib, 'libtensorflow_cc.so.2'));
    symlinkSync('libtensorflow_framework.so.2', join(lib, 'libtensorflow_framework.so'));
    rmSync(depsDir, { recursive: true, force: true });
    cpSync(staging, depsDir, { recursive: true, verbatimSymlinks: true });
    rmSync(staging, { recursive: true, force: true });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function linkDeps(packageDir, depsDir) {
  const target = join(packageDir, 'deps');
  if (existsSync(target) || isLink(target)) rmSync(target, { recursive: true, force: true });
  symlinkSync(depsDir, target, 'dir');
}

function isLink(path) {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function buildAddon(packageDir) {
  const nodePreGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [packageDir] });
  const env = { ...process.env };
  // Without Node's local headers node-gyp tries to download them, which fails offline.
  if (!env.npm_config_nodedir) {
    const nodedir = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout?.trim();
    if (nodedir && nodedir !== 'undefined' && nodedir !== 'null') env.npm_config_nodedir = nodedir;
  }
  run(process.execPath, [nodePreGyp, 'rebuild', '--build-from-source', '--build-latest-napi-version-only'], { cwd: packageDir, env });
}

// ---------------------------------------------------------------- the graph-training addon

const graphDir = join(projectRoot, 'native', 'graph');
const graphBinding = join(graphDir, 'build', 'Release', 'modelyard_graph.node');

function graphAddonLoads() {
  const probe = `console.log(require(${JSON.stringify(graphBinding)}).version())`;
  const result = spawnSync(process.execPath, ['-e', probe], { cwd: projectRoot, encoding: 'utf8' });
  if (result.status === 0) log(`the graph addon loads (TensorFlow ${result.stdout.trim()})`);
  return result.status === 0;
}

/** npm's own node-gyp: the one npm runs for install scripts, present wherever npm is. */
function nodeGypPath() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const prefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).stdout?.trim();
  if (prefix) candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error("npm's node-gyp was not found");
  return found;
}

/**
 * Builds native/graph against tfjs-node's deps folder (the library tfjs-node's addon links),
 * caching the result by source and library so that a second `npm ci` reuses it.
 */
function installGraphAddon() {
  try {
    const packageDir = dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
    const deps = realpathSync(join(packageDir, 'deps'));
    const key = createHash('sha256')
      .update(readFileSync(join(graphDir, 'graph_binding.cc')))
      .update(readFileSync(join(graphDir, 'binding.gyp')))
      .update(`${deps}|${process.versions.modules}|${process.platform}|${process.arch}`)
      .digest('hex')
      .slice(0, 16);
    const cached = join(cacheRoot, 'graph-addon', `modelyard_graph-${key}.node`);
    const link = join(graphDir, 'deps');
    if (existsSync(link) || isLink(link)) rmSync(link, { recursive: true, force: true });
    symlinkSync(deps, link, 'dir');
    if (existsSync(cached)) {
      log(`reusing the graph addon built before (${cached})`);
      mkdirSync(dirname(graphBinding), { recursive: true });
      cpSync(cached, graphBinding);
    } else {
      log('building the graph addon against the same TensorFlow library (under a minute on 2 cores)');
      const env = { ...process.env };
      if (!env.npm_config_nodedir) {
        const nodedir = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout?.trim();
        if (nodedir && nodedir !== 'undefined' && nodedir !== 'null') env.npm_config_nodedir = nodedir;
      }
      run(process.execPath, [nodeGypPath(), 'rebuild'], { cwd: graphDir, env });
      mkdirSync(dirname(cached), { recursive: true });
      cpSync(graphBinding, cached);
    }
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message : String(error) };
  }
  return graphAddonLoads() ? { ok: true } : { ok: false, why: 'it was built but does not load' };
}

function main() {
  if (process.env.MODELYARD_SKIP_NATIVE === '1') {
    log('MODELYARD_SKIP_NATIVE=1: leaving tfjs-node as it is');
    return;
  }
  let packageDir;
  try {
    packageDir = dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
  } catch {
    finish(false, '@tensorflow/tfjs-node is not installed');
  }
  if (tfjsNodeLoads()) return finish(true);

  const { version: tfjsVersion, binary } = require(join(packageDir, 'package.json'));
  // node-pre-gyp builds for the highest N-API version both the package and this Node support.
  const napi = Math.max(...binary.napi_versions.filter((v) => v <= Number(process.versions.napi)));
  const wheelKey = wheel.replace(/[^A-Za-z0-9.=_-]/g, '_');
  const depsDir = join(cacheRoot, wheelKey, 'deps');
  const bindingName = `tfjs-node-${tfjsVersion}-napi-v${napi}-abi${process.versions.modules}-${process.platform}-${process.arch}.node`;
  const cachedBinding = join(cacheRoot, wheelKey, 'bindings', bindingName);
  const bindingPath = join(packageDir, 'lib', `napi-v${napi}`, 'tfjs_binding.node');
  const cached = existsSync(cachedBinding) && existsSync(join(depsDir, 'lib', 'libtensorflow.so.2'));

  // A library and addon built here before are reused without trying the download again,
  // and a wheel asked for by name is what the addon is built against.
  if (!cached && !process.env.MODELYARD_TF_WHEEL) {
    log("trying tfjs-node's own installer");
    if (tryOfficialInstaller(packageDir)) return finish(true);
  }

  try {
    if (!existsSync(join(depsDir, 'lib', 'libtensorflow.so.2'))) {
      log(`taking the TensorFlow C library from ${wheel}`);
      extractLibraryFromWheel(depsDir);
    }
    linkDeps(packageDir, depsDir);
    if (existsSync(cachedBinding)) {
      log(`reusing the addon built before (${cachedBinding})`);
      mkdirSync(dirname(bindingPath), { recursive: true });
      cpSync(cachedBinding, bindingPath);
    } else {
      log('building the tfjs-node addon against it (about 2 minutes on 2 cores)');
      buildAddon(packageDir);
      mkdirSync(dirname(cachedBinding), { recursive: true });
      cpSync(bindingPath, cachedBinding);
    }
  } catch (error) {
    return finish(false, error instanceof Error ? error.message : String(error));
  }
  finish(tfjsNodeLoads(), 'the addon was built but does not load');
}

main();
