import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w web`: Vite on :5173 with the API, docs and registry proxied to the gateway
// (GATEWAY_URL, default the gateway of `npm start`).
const gateway = process.env['GATEWAY_URL'] ?? `http://127.0.0.1:${process.env['GATEWAY_PORT'] ?? '3000'}`;

export default defineConfig({
  plugins: [react()],
  build: {
    // dist/test and dist/tools hold the compiled browser tests; the app has a folder of its own.
    outDir: 'dist/app',
    emptyOutDir: true,
    // A hashed file per chunk, so the gateway can cache them for a year.
    assetsDir: 'assets',
  },
  server: {
    proxy: Object.fromEntries(['/api', '/docs', '/openapi', '/registry', '/health'].map((path) => [path, { target: gateway, changeOrigin: true }])),
  },
});
