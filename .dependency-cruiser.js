/**
 * The boundaries `npm run lint` keeps (dependency-cruiser): each service is built from the shared
 * packages and its own files only, the event contracts depend on nothing of ours, and no two
 * modules need each other at run time.
 */
const services = '(api-gateway|user-service|order-service|product-service|inventory-service|notification-service)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-service-to-service',
      comment: 'A service talks to another over HTTP or events, never by importing its code.',
      severity: 'error',
      from: { path: `^${services}/` },
      to: { path: `^(${services}|@oip/${services})(/|$)`, pathNot: ['^$1/', '^@oip/$1$'] },
    },
    {
      name: 'service-imports-only-packages',
      comment: 'Repository checks, the benchmark and the demo drive services from outside; services never import them.',
      severity: 'error',
      from: { path: `^${services}/` },
      to: { path: '^(tests|bench|demo)/' },
    },
    {
      name: 'contracts-import-nothing-of-ours',
      comment: 'packages/contracts is the schema every side validates against; it depends on its schema library only.',
      severity: 'error',
      from: { path: '^packages/contracts/' },
      to: { path: '^(packages/(platform|testkit)|@oip/|api-gateway|[a-z-]+-service|tests|bench|demo)' },
    },
    {
      name: 'no-circular',
      comment: 'Modules that import each other at run time load half-initialised (TypeORM entities: use the relation by entity name).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
