import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';

@Injectable()
class Dep {
  value(): number {
    return 42;
  }
}

@Injectable()
class Consumer {
  constructor(readonly dep: Dep) {}
}

// Fails if the test compiler drops emitDecoratorMetadata: Nest then cannot resolve Dep by type.
describe('decorator metadata canary', () => {
  it('injects a provider by constructor type', async () => {
    const mod = await Test.createTestingModule({ providers: [Dep, Consumer] }).compile();
    expect(mod.get(Consumer).dep.value()).toBe(42);
  });
});
