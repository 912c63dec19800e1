//! The map's layers in the layer panel's order: one walkers plugin that runs
//! the layers' own plugins bottom to top, so moving a layer up or down in the
//! panel changes what is drawn over what.

use walkers::{MapMemory, Plugin, Projector};

use crate::gui::panels::{LayerId, LayersPanel};

/// Layer plugins with their ids; see the module docs.
pub struct LayerStack<'a> {
    plugins: Vec<(LayerId, Box<dyn Plugin + 'a>)>,
}

impl<'a> LayerStack<'a> {
    /// Orders `plugins` by `panel` (its first entry is drawn on top); layers
    /// the panel does not list are drawn first, at the bottom, in the order given.
    pub fn ordered(mut plugins: Vec<(LayerId, Box<dyn Plugin + 'a>)>, panel: &LayersPanel) -> Self {
        let n = panel.layers.len();
        let height = |id: &LayerId| {
            panel
                .layers
                .iter()
                .position(|l| &l.id == id)
                .map_or(0, |i| n - i)
        };
        // Stable: layers the panel does not list keep their given order.
        plugins.sort_by_key(|(id, _)| height(id));
        Self { plugins }
    }

    /// The ids in drawing order, bottom first.
    pub fn drawing_order(&self) -> Vec<LayerId> {
        self.plugins.iter().map(|(id, _)| id.clone()).collect()
    }
}

impl Plugin for LayerStack<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut egui::Ui,
        response: &egui::Response,
        projector: &Projector,
        memory: &MapMemory,
    ) {
        for (_, plugin) in self.plugins {
            plugin.run(ui, response, projector, memory);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use walkers::Plugin;

    struct Nothing;
    impl Plugin for Nothing {
        fn run(
            self: Box<Self>,
            _: &mut egui::Ui,
            _: &egui::Response,
            _: &Projector,
            _: &MapMemory,
        ) {
        }
    }

    fn stack(panel: &LayersPanel) -> Vec<LayerId> {
        let plugins: Vec<(LayerId, Box<dyn Plugin>)> = vec![
            (LayerId::Heatmap, Box::new(Nothing)),
            (LayerId::Incidents, Box::new(Nothing)),
            (LayerId::GeoJson("okänt".into()), Box::new(Nothing)),
            (LayerId::StrategicPlaces, Box::new(Nothing)),
        ];
        LayerStack::ordered(plugins, panel).drawing_order()
    }

    #[test]
    fn panel_order_is_drawing_order_top_last() {
        let mut panel = LayersPanel::standard();
        // Standard, top first: places, incidents, hotspots, heatmap.
        assert_eq!(
            stack(&panel),
            [
                LayerId::GeoJson("okänt".into()),
                LayerId::Heatmap,
                LayerId::Incidents,
                LayerId::StrategicPlaces,
            ]
        );
        // Move the heatmap to the top: it is now drawn last.
        let from = panel
            .layers
            .iter()
            .position(|l| l.id == LayerId::Heatmap)
            .unwrap();
        assert!(panel.move_layer(from, 0));
        assert_eq!(stack(&panel).last(), Some(&LayerId::Heatmap));
    }
}
