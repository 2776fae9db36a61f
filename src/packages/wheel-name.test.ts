import { describe, expect, it } from 'vitest';
import { normalizePypiName, parseWheelName } from './wheel-name.js';

describe('wheel file names', () => {
  it('[SBOM-6] reads name and version of a plain wheel, normalized as PEP 503 says', () => {
    expect(parseWheelName('tinymcp-1.0.0-py3-none-any.whl')).toEqual({
      name: 'tinymcp',
      version: '1.0.0',
    });
    expect(parseWheelName('Typing_Extensions-4.12.2-py3-none-any.whl')).toEqual({
      name: 'typing-extensions',
      version: '4.12.2',
    });
  });

  it('[SBOM-6] reads dotted names, build tags, compound tags and local versions', () => {
    expect(parseWheelName('zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl')).toEqual({
      name: 'zope-interface',
      version: '6.0',
    });
    expect(parseWheelName('pkg_name-2.0.1-1-py2.py3-none-any.whl')).toEqual({
      name: 'pkg-name',
      version: '2.0.1',
      build: '1',
    });
    expect(parseWheelName('torch-2.3.0+cpu-12abc-cp312-cp312-linux_x86_64.whl')).toEqual({
      name: 'torch',
      version: '2.3.0+cpu',
      build: '12abc',
    });
  });

  it('[SBOM-6] refuses what is not a wheel file name instead of guessing', () => {
    for (const file of [
      'tinymcp-1.0.0.tar.gz',
      'tinymcp-1.0.0-py3-any.whl', // four parts
      'tinymcp-1.0.0-x-py3-none-any.whl', // a build tag must start with a digit
      'a-b-1-c-d-e-f.whl', // seven parts: an unescaped dash
      'tinymcp--py3-none-any.whl',
    ])
      expect(parseWheelName(file), file).toBeUndefined();
  });

  it('normalizes runs of separators and case', () => {
    expect(normalizePypiName('Foo._-Bar__baz')).toBe('foo-bar-baz');
  });
});
