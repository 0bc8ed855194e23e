import type { Model } from './model.js';
import type { Operation } from './operation.js';

/** The model's own wording for an operation, or its JSON when the model gives none; `?` is an unknown outcome. */
export function describeOperation<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  return model.describeOperation
    ? model.describeOperation(op.input, op.output)
    : `${JSON.stringify(op.input)} -> ${op.output === undefined ? '?' : JSON.stringify(op.output)}`;
}
