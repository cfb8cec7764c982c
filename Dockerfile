# syntax=docker/dockerfile:1
#
# modelyard images, one Dockerfile, two targets:
#   runtime      (the default)  `api` or `worker` (CMD), TensorFlow 2.21 on the CPU
#   runtime-gpu                 a training worker on TensorFlow 2.21 built for CUDA 12
# docker build -t modelyard .
# docker build --target runtime-gpu -t modelyard-gpu .
# Both run the compiled dist/main.js with plain node, as a non-root user; see docs/deploy.md.
# Build inputs that only some networks need (a proxy's CA bundle, a local pip index) go in as
# build-time mounts, as scripts/image-test.sh does, never into this file.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG TF_VERSION=2.21.0

# What building tfjs-node's addon needs (node-gyp: python3, g++, make) and pip, which
# fetches the TensorFlow wheel whose C library the addon is built against.
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 python3-pip g++ make \
 && rm -rf /var/lib/apt/lists/*
# npm 11 honours package.json's allowScripts, which keeps tfjs-node's own install script
# from running; the npm 10 that Node 20 images ship would run it.
ARG NPM_VERSION=11.19.1
RUN npm install -g npm@${NPM_VERSION}
WORKDIR /app
# tfjs-node's deps/ becomes a symlink to an absolute path under MODELYARD_NATIVE_CACHE,
# so the runtime stages copy that folder to the same path.
# Each native stage names its wheel (MODELYARD_TF_WHEEL), so the install script builds
# against that wheel's library and never takes tfjs-node's own libtensorflow 2.9.1 download.
ENV MODELYARD_NATIVE_CACHE=/opt/modelyard/native \
    MODELYARD_REQUIRE_BACKEND=tensorflow
COPY package.json package-lock.json ./
COPY scripts ./scripts
# The graph-training addon's source: npm ci's install step builds it against the same library.
COPY native ./native

# TypeScript to dist/. tsc is a dev dependency; the native backend is not needed to compile.
FROM toolchain AS compile
RUN --mount=type=cache,target=/root/.npm \
    MODELYARD_SKIP_NATIVE=1 npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies; npm ci's postinstall builds tfjs-node against the C library of
# the tensorflow-cpu wheel, and fails the build unless the native backend then loads.
FROM toolchain AS native-cpu
ARG TF_VERSION
ENV MODELYARD_TF_WHEEL=tensorflow-cpu==${TF_VERSION}
RUN --mount=type=cache,target=/root/.npm --mount=type=cache,target=/root/.cache/pip \
    npm ci --omit=dev --no-audit --no-fund --foreground-scripts \
 && TF_CPP_MIN_LOG_LEVEL=2 node -e "const v = require('@tensorflow/tfjs-node').backend().binding.TF_Version; if (v !== process.env.TF_VERSION) { console.error('tfjs-node runs on TensorFlow ' + v + ', not ' + process.env.TF_VERSION); process.exit(1); }"
# Only what the runtime loads goes on: the wheel's libraries without their symbol tables (the
# loader reads the dynamic ones; about 200 MB less), no C headers, no copy of the built addon,
# no source maps. The library must still load afterwards.
RUN find /opt/modelyard/native -name 'lib*.so*' -type f -exec strip --strip-unneeded {} + \
 && rm -rf /opt/modelyard/native/*/deps/include /opt/modelyard/native/*/bindings node_modules/@tensorflow/tfjs-node/build-tmp-* \
 && find node_modules -name '*.map' -type f -delete \
 && TF_CPP_MIN_LOG_LEVEL=2 node -e "require('@tensorflow/tfjs-node').tensor([1, 2]).square().dataSync()"

# The same, against the GPU build of TensorFlow (the `tensorflow` wheel), with NVIDIA's CUDA
# libraries from the pip wheels that TensorFlow itself pins in its `and-cuda` extra. The
# versions are read from the wheel's own metadata, so a new TF_VERSION brings its own.
# TensorFlow dlopens the CUDA libraries by name (libcudart.so.12, libcublas.so.12, ...),
# so every folder of the wheels holding a shared library goes on the loader's path
# (/etc/ld.so.conf.d); libcuda.so.1, the driver, comes from the host through the
# NVIDIA Container Toolkit. Without a GPU (as during this build) TensorFlow runs on the CPU.
FROM toolchain AS native-gpu
ARG TF_VERSION
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m pip download --no-deps --only-binary=:all: --dest /tmp/tf-wheel "tensorflow==${TF_VERSION}" \
 && python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read(next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))).decode())" /tmp/tf-wheel/*.whl \
    | sed -n 's/^Requires-Dist: \(.*\); extra == "and-cuda"$/\1/p' > /tmp/cuda-requirements.txt \
 && cat /tmp/cuda-requirements.txt \
 && test -s /tmp/cuda-requirements.txt \
 && python3 -m pip install --no-compile --only-binary=:all: --target /opt/modelyard/cuda -r /tmp/cuda-requirements.txt \
 && find /opt/modelyard/cuda -name 'lib*.so*' -printf '%h\n' | sort -u > /etc/ld.so.conf.d/modelyard-cuda.conf \
 && ldconfig \
 && for lib in libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcufft.so.11 libcurand.so.10 libcusolver.so.11 \
               libcusparse.so.12 libcudnn.so.9 libnccl.so.2 libcupti.so.12 libnvrtc.so.12 libnvJitLink.so.12; do \
      ldconfig -p | grep -q "^[[:space:]]$lib " || { echo "no $lib on the loader's path" >&2; exit 1; }; \
    done
ENV MODELYARD_TF_WHEEL=tensorflow==${TF_VERSION}
# The install step's `pip download` takes the wheel fetched above instead of fetching it again.
RUN --mount=type=cache,target=/root/.npm \
    PIP_NO_INDEX=1 PIP_FIND_LINKS=/tmp/tf-wheel npm ci --omit=dev --no-audit --no-fund --foreground-scripts \
 && TF_CPP_MIN_LOG_LEVEL=2 node -e "const v = require('@tensorflow/tfjs-node').backend().binding.TF_Version; if (v !== process.env.TF_VERSION) { console.error('tfjs-node runs on TensorFlow ' + v + ', not ' + process.env.TF_VERSION); process.exit(1); }" \
 && rm -rf /tmp/tf-wheel
RUN find /opt/modelyard/native -name 'lib*.so*' -type f -exec strip --strip-unneeded {} + \
 && rm -rf /opt/modelyard/native/*/deps/include /opt/modelyard/native/*/bindings node_modules/@tensorflow/tfjs-node/build-tmp-* \
 && find node_modules -name '*.map' -type f -delete \
 && TF_CPP_MIN_LOG_LEVEL=2 node -e "require('@tensorflow/tfjs-node').tensor([1, 2]).square().dataSync()"

# What both images share: no compilers, no npm install, a non-root user.
FROM ${NODE_IMAGE} AS runtime-base
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HOST=0.0.0.0
# A named volume mounted here starts out with this folder's owner, so the node user can write.
RUN mkdir -p /data && chown node:node /data
WORKDIR /app
# The API, the Open Inference Protocol over gRPC (GRPC_PORT) and TensorFlow Serving's REST API (TFSERVING_PORT).
EXPOSE 8080 8081 8501
# The api answers GET /healthz on PORT; a worker serves no HTTP unless WORKER_METRICS_PORT
# is set, and then it answers GET /metrics there (docker-compose.yml sets it for workers).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const m = process.env.WORKER_METRICS_PORT; const url = m ? 'http://127.0.0.1:' + m + '/metrics' : 'http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz'; fetch(url, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["api"]
USER node

FROM runtime-base AS runtime-gpu
USER root
COPY --from=native-gpu /opt/modelyard/cuda /opt/modelyard/cuda
COPY --from=native-gpu /etc/ld.so.conf.d/modelyard-cuda.conf /etc/ld.so.conf.d/modelyard-cuda.conf
RUN ldconfig
COPY --from=native-gpu /opt/modelyard/native /opt/modelyard/native
COPY --from=native-gpu /app/node_modules ./node_modules
COPY --from=native-gpu /app/native/graph/build/Release/modelyard_graph.node ./native/graph/build/Release/modelyard_graph.node
COPY --from=compile /app/dist ./dist
COPY package.json ./
COPY dashboard ./dashboard
COPY assets ./assets
COPY proto ./proto
# The toolkit mounts the driver's compute libraries only when asked for them. Growing GPU
# memory as needed (instead of TensorFlow taking all of it) lets several workers share a GPU.
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    TF_FORCE_GPU_ALLOW_GROWTH=true \
    WORKER_METRICS_PORT=9464
EXPOSE 9464
CMD ["worker"]
USER node

# Last, so that a plain `docker build .` builds it.
FROM runtime-base AS runtime
COPY --from=native-cpu /opt/modelyard/native /opt/modelyard/native
COPY --from=native-cpu /app/node_modules ./node_modules
COPY --from=native-cpu /app/native/graph/build/Release/modelyard_graph.node ./native/graph/build/Release/modelyard_graph.node
COPY --from=compile /app/dist ./dist
COPY package.json ./
COPY dashboard ./dashboard
COPY assets ./assets
COPY proto ./proto
