import { z } from 'zod';
import { ActivationSchema, tfActivation } from '../activations.js';
import { InitializerSchema, initializer } from '../initializers.js';
import { ActivityRegularizerSchema, ConstraintSchema, RegularizerSchema, regularizer } from '../regularizers.js';

/** The activation, kernel and bias arguments Dense and the convolutions share, with Keras's defaults. */
export const kernelBiasKeys = {
  activation: ActivationSchema.default('linear'),
  use_bias: z.boolean().default(true),
  kernel_initializer: InitializerSchema.default('glorot_uniform'),
  bias_initializer: InitializerSchema.default('zeros'),
  kernel_regularizer: RegularizerSchema,
  bias_regularizer: RegularizerSchema,
  activity_regularizer: ActivityRegularizerSchema,
  kernel_constraint: ConstraintSchema,
  bias_constraint: ConstraintSchema,
};

type KernelBiasConfig = z.output<z.ZodObject<typeof kernelBiasKeys>>;

/** Those arguments as a tfjs layer's config. */
export function tfKernelBias(config: KernelBiasConfig) {
  return {
    activation: tfActivation(config.activation),
    useBias: config.use_bias,
    kernelInitializer: initializer(config.kernel_initializer),
    biasInitializer: initializer(config.bias_initializer),
    kernelRegularizer: regularizer(config.kernel_regularizer),
    biasRegularizer: regularizer(config.bias_regularizer),
  };
}
