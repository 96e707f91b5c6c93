/** Jest runs the compiled tests (`npm test` builds first), so forked fixtures and the leader worker are plain JS. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test', '<rootDir>/scripts'],
  testMatch: [
    '<rootDir>/packages/*/dist/test/**/*.test.js',
    '<rootDir>/test/dist/**/*.test.js',
    '<rootDir>/scripts/dist/test/**/*.test.js',
  ],
  modulePathIgnorePatterns: ['<rootDir>/packages/.*/package.json'],
  testTimeout: 60000,
  maxWorkers: 2,
};
