/**
 * Convolutions on the addon (native/src/conv.cc): Conv2D, FusedConv2D, the depthwise forms and
 * all their input/filter gradients. Geometry comes from tfjs' own conv info, so padding and
 * output sizes are tfjs' ('same' may pad asymmetrically; the addon pads explicitly then).
 */
import { tf } from '../../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { activationCode, nativeKernel } from './kernel.ts';

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Attrs = Record<string, unknown>;

function nhwc(attrs: Attrs): boolean {
  return attrs.dataFormat == null || attrs.dataFormat === 'NHWC' || attrs.dataFormat === 'channelsLast';
}

function convInfo(xShape: number[], filterShape: number[], attrs: Attrs, depthwise: boolean): ConvInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    (attrs.dilations as [number, number] | number | undefined) ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
    depthwise,
    'channelsLast',
  );
}

/** [strideH, strideW, dilationH, dilationW, top, bottom, left, right, depthwise]. */
function geometry(c: ConvInfo, depthwise: boolean): number[] {
  const p = c.padInfo;
  return [
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    p.top,
    p.bottom,
    p.left,
    p.right,
    depthwise ? 1 : 0,
  ];
}

function forward(name: string, depthwise: boolean): KernelConfig {
  return nativeKernel(name, ({ x, filter }, be, attrs) => {
    if (!nhwc(attrs)) return null;
    const c = convInfo(x!.shape, filter!.shape, attrs, depthwise);
    return be.run1('Conv2D', [x!, filter!], geometry(c, depthwise));
  });
}

function fused(name: string, depthwise: boolean): KernelConfig {
  return nativeKernel(name, ({ x, filter, bias, preluActivationWeights }, be, attrs) => {
    const act = activationCode(attrs.activation);
    if (!nhwc(attrs) || act === null) return null;
    const c = convInfo(x!.shape, filter!.shape, attrs, depthwise);
    if (bias && tf.util.sizeFromShape(bias.shape) !== c.outChannels) return null;
    const inputs: TensorInfo[] = [x!, filter!];
    if (bias) inputs.push(bias);
    if (act === 5) inputs.push(preluActivationWeights!);
    return be.run1('FusedConv2D', inputs, [
      ...geometry(c, depthwise),
      bias ? 1 : 0,
      act,
      (attrs.leakyreluAlpha as number | undefined) ?? 0.2,
    ]);
  });
}

function backpropInput(name: string, depthwise: boolean): KernelConfig {
  return nativeKernel(name, ({ dy, filter }, be, attrs) => {
    if (!nhwc(attrs)) return null;
    const shape = attrs.inputShape as number[];
    const c = convInfo(shape, filter!.shape, attrs, depthwise);
    return be.run1('Conv2DBackpropInput', [dy!, filter!], [...geometry(c, depthwise), ...shape]);
  });
}

function backpropFilter(name: string, depthwise: boolean): KernelConfig {
  return nativeKernel(name, ({ x, dy }, be, attrs) => {
    if (!nhwc(attrs)) return null;
    const shape = attrs.filterShape as number[];
    const c = convInfo(x!.shape, shape, attrs, depthwise);
    return be.run1('Conv2DBackpropFilter', [x!, dy!], [...geometry(c, depthwise), ...shape]);
  });
}

export const convKernels: KernelConfig[] = [
  forward('Conv2D', false),
  forward('DepthwiseConv2dNative', true),
  fused('FusedConv2D', false),
  fused('FusedDepthwiseConv2D', true),
  backpropInput('Conv2DBackpropInput', false),
  backpropInput('DepthwiseConv2dNativeBackpropInput', true),
  backpropFilter('Conv2DBackpropFilter', false),
  backpropFilter('DepthwiseConv2dNativeBackpropFilter', true),
];
