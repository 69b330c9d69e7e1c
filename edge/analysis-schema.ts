/**
 * The JSON result of a pipeline that ends in an analysis op, as GET /v1/jobs/{id}/result
 * serves it (engine/analysis-result.ts writes it): the image's size, the pipeline and the
 * analysis step as text, then the op's data, in that key order.
 */

import { z } from "@hono/zod-openapi";

const pair = z.tuple([z.number(), z.number()]);
const box = z.tuple([z.number(), z.number(), z.number(), z.number()]).openapi({ description: "[x, y, width, height]" });

const KeypointSchema = z
  .object({
    x: z.number(),
    y: z.number(),
    response: z.number(),
    size: z.number(),
    angle: z.number(),
    descriptor: z.string().optional().openapi({ description: "32 bytes, base64 (orb only)" }),
  })
  .openapi("Keypoint", { description: "A keypoint in source pixels (OpenCV's KeyPoint fields)" });

const HoughLineSchema = z
  .object({ rho: z.number(), theta: z.number(), votes: z.number().int() })
  .openapi("HoughLine", { description: "A line x·cos θ + y·sin θ = ρ: rho in pixels, theta in radians (OpenCV's HoughLines)" });

const ComponentSchema = z
  .object({ area: z.number().int(), bbox: box, centroid: pair.openapi({ description: "[cx, cy]" }) })
  .openapi("Component");

const DetectionSchema = z.object({ label: z.string(), score: z.number(), bbox: box }).openapi("Detection");

export const AnalysisResultSchema = z
  .object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    pipeline: z.string().openapi({ description: "The whole pipeline, as text" }),
    op: z.string().openapi({ description: "The analysis step, as text", example: "fast(threshold=30)" }),
    keypoints: z.array(KeypointSchema).optional().openapi({ description: "fast, corners, orb" }),
    lines: z.array(HoughLineSchema).optional().openapi({ description: "hough-lines" }),
    components: z.array(ComponentSchema).optional().openapi({ description: "components" }),
    detections: z.array(DetectionSchema).optional().openapi({ description: "detect-objects, detect-faces" }),
  })
  .openapi("AnalysisResult", {
    description:
      "What a pipeline ending in an analysis op returns (format json). The same result as an image (png, jpeg, webp) is the source with it drawn on it.",
  });
